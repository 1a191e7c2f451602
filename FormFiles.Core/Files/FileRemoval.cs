using Azure;
using Azure.Data.Tables;
using FormFiles.Quota;
using FormFiles.Storage;
using FormFiles.Tasks;
using FormFiles.Telemetry;
using FormFiles.Webhooks;

namespace FormFiles.Files;

/// <summary>
/// Deleting files that a commit marked <c>deleted</c>: before the commit, the operation's
/// <see cref="Announcement"/> (a pending-index row due now) names each one, so that the sweep finishes
/// whatever a crash interrupts; after it, the blob goes, the quota comes back and the index rows go.
/// </summary>
public sealed class FileRemoval(Tables tables, FileBlobs blobs, QuotaLedger quota, WebhookRelay relay, FormFilesMetrics metrics, TimeProvider time)
{
    /// <summary>Names the files in the pending index (due now) before they are marked deleted; the same announcement goes to <see cref="FinishAsync(IEnumerable{FileEntity}, Announcement, CancellationToken)"/> or <see cref="WithdrawAsync"/>.</summary>
    public async Task AnnounceAsync(IEnumerable<FileEntity> files, Announcement announcement, CancellationToken cancellationToken)
    {
        foreach (var file in files)
            await tables.Pending.UpsertEntityAsync(announcement.RowOf(file), TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>After the commit: blob, quota, the deleted row itself, its expiry row and this announcement's row of each deleted file.</summary>
    public async Task FinishAsync(IEnumerable<FileEntity> files, Announcement announcement, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            await FinishAsync(file, cancellationToken);
            await tables.Pending.DeleteEntityAsync(announcement.PartitionOf(file.TaskId), announcement.RowKeyOf(file.Id), ETag.All, cancellationToken);
        }
    }

    /// <summary>
    /// Everything a deleted file still holds, except an announcement row: idempotent, for the sweep too. The
    /// accepted copy and the quota go at once; while the file's upload SAS may still be valid, its upload name
    /// stays a tombstone (<see cref="FileBlobs.ClearAsync"/>) and its row stays with a name row in the index
    /// (<see cref="PendingEntity.ForName"/>), so that the SAS can write nothing and the sweep comes back once it
    /// has expired, to delete name, row and index rows.
    /// </summary>
    public async Task FinishAsync(FileEntity file, CancellationToken cancellationToken)
    {
        // The upload name's snapshots go first, the accepted copy after: no completion can copy one again after that.
        if (file.CredentialsLive(time.GetUtcNow()))
        {
            await tables.Pending.UpsertEntityAsync(PendingEntity.ForName(file), TableUpdateMode.Replace, cancellationToken);
            await SettleUploadNameAsync(file, cancellationToken);
            await blobs.DeleteAcceptedAsync(file.BlobName, cancellationToken);
            await quota.ReleaseAsync(file.UserId, file.Id, cancellationToken);
            return;
        }

        await blobs.PurgeAsync(file.BlobName, file.LeaseId, cancellationToken);
        await blobs.DeleteAcceptedAsync(file.BlobName, cancellationToken);
        await quota.ReleaseAsync(file.UserId, file.Id, cancellationToken);
        await tables.Tasks.DeleteEntityAsync(file.PartitionKey, file.RowKey, ETag.All, cancellationToken);
        await tables.Pending.DeleteEntityAsync(PendingEntity.ExpiryPartition(file), Tables.Key(file.Id), ETag.All, cancellationToken);
        await tables.Pending.DeleteEntityAsync(PendingEntity.NamePartition(file), PendingEntity.NameRowKey(file.Id), ETag.All, cancellationToken);
    }

    /// <summary>
    /// The upload name of an accepted, rejected or deleted file: a tombstone (<see cref="FileBlobs.ClearAsync"/>),
    /// made once and then marked on the row (<see cref="FileEntity.BlobSettled"/>), so that the events of its own
    /// writes cost nothing more. A deleted file whose SAS has expired needs no tombstone: its blob goes.
    /// </summary>
    public async Task SettleUploadNameAsync(FileEntity file, CancellationToken cancellationToken)
    {
        if (file.State == FileStates.Deleted && !file.CredentialsLive(time.GetUtcNow()))
        {
            await blobs.PurgeAsync(file.BlobName, file.LeaseId, cancellationToken);
            return;
        }

        if (file.BlobSettled)
            return;
        await blobs.ClearAsync(file.BlobName, file.LeaseId, cancellationToken);
        file.BlobSettled = true;
        if (!await tables.Tasks.TryUpdateAsync(file, file.ETag, cancellationToken))
            file.BlobSettled = false; // Changed meanwhile: whoever comes next settles it again (it is idempotent).
    }

    /// <summary>
    /// Marks one file deleted and gives its field slot back (when it held one), with its event
    /// (<paramref name="eventType"/>, for <paramref name="reason"/>), in one transaction conditional on
    /// both rows' ETags; false when either changed meanwhile (read them again). A retry of a transaction
    /// that landed is a success (<see cref="StampedWrites"/>).
    /// </summary>
    /// <param name="announcement">The caller's announcement of the deletion, whose commit deadline is checked right before the commit (none for the sweep's own).</param>
    /// <param name="ofGoneForm">The file's form is gone (the sweep finishing its deletion): its slots went with it, so the task's counters stay.</param>
    public async Task<bool> TryMarkDeletedAsync(FileEntity file, string eventType, string? reason, CancellationToken cancellationToken, Announcement? announcement = null, bool ofGoneForm = false)
    {
        var holdsSlot = file.AwaitsUpload || (file.State == FileStates.Uploaded && !file.Submitted);
        var task = ofGoneForm ? default : await tables.Tasks.GetEntityIfExistsAsync<TaskEntity>(file.PartitionKey, TaskEntity.Row, cancellationToken: cancellationToken);
        file.State = FileStates.Deleted;
        var changes = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, file, file.ETag) };
        if (task?.HasValue == true)
        {
            if (holdsSlot)
                task.Value!.CountUnsubmitted(file.FieldId, -1);
            else if (file.IsAttachment() && file.Submitted)
                task.Value!.AttachedFiles = Math.Max(0, task.Value.AttachedFiles - 1);
            changes.Add(new(TableTransactionActionType.UpdateReplace, task.Value!, task.Value!.ETag));
        }

        var recorded = await relay.RecordAsync(file.UserId, file.TaskId, [Events.File(eventType, file, time.GetUtcNow(), reason)], cancellationToken);
        if (recorded is not null)
            changes.Add(recorded.Outbox);
        announcement?.ThrowIfLate(time);
        if (!await tables.Tasks.TrySubmitAsync(changes, file, cancellationToken))
            return false;
        relay.Committed(recorded);
        if (eventType == EventTypes.FileExpired)
            metrics.Expired();
        else
            metrics.Deleted(reason ?? DeleteReasons.Api);
        return true;
    }

    /// <summary>
    /// This announcement's rows of files that in the end were not deleted (a retried commit chose otherwise).
    /// Rows of other operations stay, whatever they announced: the sweep settles those an operation left.
    /// </summary>
    public async Task WithdrawAsync(long taskId, IEnumerable<long> fileIds, Announcement announcement, CancellationToken cancellationToken)
    {
        foreach (var id in fileIds)
            await tables.Pending.DeleteEntityAsync(announcement.PartitionOf(taskId), announcement.RowKeyOf(id), ETag.All, cancellationToken);
    }
}
