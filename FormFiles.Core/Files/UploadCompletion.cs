using System.Globalization;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FormFiles.Quota;
using FormFiles.Storage;
using FormFiles.Tasks;
using FormFiles.Telemetry;
using FormFiles.Usage;
using FormFiles.Webhooks;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;

namespace FormFiles.Files;

/// <summary>
/// Completes an upload when its blob exists (design §7): called by the blob-created event, by the
/// multipart endpoint, by reconciliation, by the sweep and by submission, as often and concurrently
/// as they like. It takes the file's lease on the blob (which the create-only upload SAS cannot
/// break), snapshots it and judges the snapshot: what it judges cannot change, and an accepted upload
/// is copied from that very snapshot to where downloads read it (<see cref="FileBlobs"/>). Then the
/// upload name is left an empty tombstone, accepted or rejected alike. An upload counts as in time by
/// when its bytes landed (the blob's Last-Modified), not by when this runs. Every state change is
/// conditional on the file row's ETag, and the steps after it (quota, the tombstone, the pending row)
/// are idempotent, so every caller ends in the same state.
/// </summary>
public sealed class UploadCompletion(
    Tables tables, FileBlobs blobs, QuotaLedger quota, FileRemoval removal, WebhookRelay relay, UsageMeter usage, FormFilesMetrics metrics,
    TimeProvider time, IOptions<FormFilesOptions> options, ILogger<UploadCompletion> logger)
{
    /// <summary>Enough of the file for the content type and a JPEG's EXIF segment (at most 64 KiB, and first).</summary>
    private const int HeadBytes = 64 * 1024;

    public async Task<FileEntity?> HandleAsync(string blobName, CancellationToken cancellationToken)
    {
        if (!TryParse(blobName, out var userId, out var taskId, out var fileId))
        {
            await blobs.DeleteAsync(blobName, null, cancellationToken);
            CompletionLog.Rogue(logger, blobName);
            return null;
        }

        using var scope = Lifecycle.Scope(logger, userId, taskId, fileId);
        // Started once there is an upload to complete (the many calls that find nothing to do make none), and
        // made current in each attempt that gets that far, so that a retry's storage calls nest under it too.
        System.Diagnostics.Activity? activity = null;
        try
        {
            return await CompleteAsync(blobName, userId, taskId, fileId, () =>
            {
                activity ??= Lifecycle.Start("completion", userId, taskId, fileId);
                if (activity is not null)
                    System.Diagnostics.Activity.Current = activity;
            }, cancellationToken);
        }
        finally
        {
            activity?.Dispose();
        }
    }

    private Task<FileEntity?> CompleteAsync(string blobName, long userId, long taskId, long fileId, Action started, CancellationToken cancellationToken) =>
        Contention.RetryAsync<FileEntity?>(async () =>
        {
            var file = await tables.FindFileAsync(taskId, fileId, cancellationToken);
            if (file is null || file.UserId != userId)
            {
                // Unknown: a rogue upload, or a late one whose file has gone (with its row, once its SAS expired). An empty or
                // leased blob is the service's (a tombstone keeping the name of a deleted task's file, or one in the making).
                await blobs.DeleteRogueAsync(blobName, cancellationToken);
                CompletionLog.Late(logger, fileId, taskId);
                return (true, file);
            }

            switch (file.State)
            {
                case FileStates.Deleted:
                    await removal.SettleUploadNameAsync(file, cancellationToken);
                    return (true, file);
                case FileStates.Uploaded:
                    await SettleUploadedAsync(file, cancellationToken);
                    return (true, file);
                case FileStates.Rejected:
                    await SettleRejectedAsync(file, cancellationToken);
                    return (true, file);
            }

            // From here on only the service writes the blob: the upload SAS can neither overwrite nor break a lease.
            if (!await blobs.LeaseAsync(blobName, file.LeaseId, cancellationToken))
                return (true, file); // Nothing uploaded yet.

            started();

            // What is judged is this snapshot, and what is accepted is a copy of it: nothing written after can change either.
            BlobClient judged;
            try
            {
                judged = await blobs.SnapshotAsync(blobName, file.LeaseId, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return (true, file); // No committed blob (only uncommitted blocks, or deleted meanwhile): nothing to judge.
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                return (false, file); // Its lease broken meanwhile: look again.
            }

            if (await HeadAsync(judged, cancellationToken) is not { } head)
                return (false, file); // Deleted with its snapshots meanwhile: look again.

            if (head.Details.LastModified > file.Expires + FileBlobs.ClockSkew)
            {
                // Written after the reservation expired (the time the bytes landed counts, not when this runs): the file goes, with its blob.
                if (!await removal.TryMarkDeletedAsync(file, EventTypes.FileDeleted, DeleteReasons.LateUpload, cancellationToken))
                    return (false, file);
                await removal.FinishAsync(file, cancellationToken);
                CompletionLog.Late(logger, fileId, taskId);
                return (true, file);
            }

            return (await JudgeAsync(file, judged, head, cancellationToken), file);
        }, cancellationToken);

    /// <summary>The first <see cref="HeadBytes"/> of the judged snapshot, with its properties; null when it is gone.</summary>
    private static async Task<BlobDownloadResult?> HeadAsync(BlobClient judged, CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                return (await judged.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(0, HeadBytes) }, cancellationToken)).Value;
            }
            catch (RequestFailedException e) when (e.Status == 416)
            {
                return (await judged.DownloadContentAsync(cancellationToken)).Value; // An empty blob has no first byte to range over.
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <returns>False when another caller changed the file first (look again).</returns>
    private async Task<bool> JudgeAsync(FileEntity file, BlobClient judged, BlobDownloadResult head, CancellationToken cancellationToken)
    {
        var task = await tables.Tasks.GetEntityAsync<TaskEntity>(file.PartitionKey, TaskEntity.Row, cancellationToken: cancellationToken);
        var field = task.Value.FileTarget(file.FieldId);
        var size = head.Details.ContentRange is { } range && range.Contains('/', StringComparison.Ordinal)
            ? long.Parse(range[(range.LastIndexOf('/') + 1)..], CultureInfo.InvariantCulture)
            : head.Details.ContentLength;
        var bytes = head.Content.ToMemory();
        var verdict = field is null
            ? new UploadRules.Verdict(null, "the form no longer has this field", RejectionKinds.Field)
            : UploadRules.Judge(field, file.ReservedSize, file.Name, size, bytes.Span);

        if (!verdict.Accepted)
            return await RejectAsync(task.Value, file, verdict.Rejection!, verdict.Kind!, cancellationToken);

        // Copied before the acceptance is visible, so that every reader of an uploaded file finds its bytes; the first
        // copy stays (a completion that lost the race, judging later, may only have an emptied blob to copy).
        try
        {
            await blobs.CopyAcceptedAsync(judged, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false; // The snapshot went with another completion's (or a deletion's) clearing meanwhile: look again.
        }

        file.State = FileStates.Uploaded;
        file.Size = size;
        file.MimeType = verdict.MimeType;
        file.Type = verdict.Type?.IsImage == true ? "image" : "file";
        // When its bytes landed, whichever completion judges it and however late: the unattached deadline counts from there.
        file.Uploaded = head.Details.LastModified;
        file.Metadata = WithOrientation(file.Metadata, verdict.Type, bytes);
        var now = time.GetUtcNow();
        var recorded = await relay.RecordAsync(file.UserId, file.TaskId, [Events.File(EventTypes.FileUploaded, file, now)], cancellationToken);
        if (!await tables.Tasks.TrySubmitAsync(Changes(new(TableTransactionActionType.UpdateReplace, file, file.ETag), recorded), file, cancellationToken))
            return false;
        relay.Committed(recorded);

        CompletionLog.Uploaded(logger, file.Id, file.TaskId, size, file.MimeType);
        metrics.Uploaded(size, now - head.Details.LastModified);
        usage.Uploaded(file.UserId, file.ApiKey, size);
        await SettleUploadedAsync(file, cancellationToken);
        return true;
    }

    /// <summary>Rejected: the file and the field's counter change together, then the blob goes and the quota comes back.</summary>
    private async Task<bool> RejectAsync(TaskEntity task, FileEntity file, string reason, string kind, CancellationToken cancellationToken)
    {
        task.CountUnsubmitted(file.FieldId, -1);
        file.State = FileStates.Rejected;
        file.Rejection = reason;
        var recorded = await relay.RecordAsync(file.UserId, file.TaskId, [Events.File(EventTypes.FileRejected, file, time.GetUtcNow(), reason)], cancellationToken);
        if (!await tables.Tasks.TrySubmitAsync(
                Changes(new(TableTransactionActionType.UpdateReplace, file, file.ETag), recorded, new TableTransactionAction(TableTransactionActionType.UpdateReplace, task, task.ETag)), file, cancellationToken))
            return false;
        relay.Committed(recorded);

        CompletionLog.Rejected(logger, file.Id, file.TaskId, reason);
        metrics.Rejected(kind);
        await SettleRejectedAsync(file, cancellationToken);
        return true;
    }

    private static List<TableTransactionAction> Changes(TableTransactionAction change, WebhookRelay.Recorded? recorded, params TableTransactionAction[] more) =>
        [change, .. more, .. recorded is null ? [] : new[] { recorded.Outbox }];

    /// <summary>
    /// The upload name becomes a tombstone (the judged bytes were copied before the acceptance), the quota moves
    /// from the reserved to the real size, and the reservation's index row goes last (so that the sweep comes back to whatever a crash left). An
    /// unattached attachment is named in the pending index for when <c>FormFiles:UnattachedTtl</c> runs out.
    /// </summary>
    private async Task SettleUploadedAsync(FileEntity file, CancellationToken cancellationToken)
    {
        await removal.SettleUploadNameAsync(file, cancellationToken);
        var deadline = file.IsAttachment() && !file.Submitted ? PendingEntity.For(file, UnattachedDeadline(file)) : null;
        if (deadline is not null)
            await tables.Pending.UpsertEntityAsync(deadline, TableUpdateMode.Replace, cancellationToken);
        await quota.AdjustAsync(file.UserId, file.Id, file.Size ?? file.ReservedSize, cancellationToken);
        if (deadline?.PartitionKey != PendingEntity.ExpiryPartition(file)) // The same row when both fall in one minute: it stays.
            await tables.Pending.DeleteEntityAsync(PendingEntity.ExpiryPartition(file), Tables.Key(file.Id), ETag.All, cancellationToken);
    }

    /// <summary>When an uploaded attachment that was never attached goes.</summary>
    public DateTimeOffset UnattachedDeadline(FileEntity file) => (file.Uploaded ?? file.Created) + options.Value.UnattachedTtl;

    /// <summary>The upload name becomes a tombstone and the quota comes back; the file row stays (it says why) until the sweep takes it at the reservation's expiry.</summary>
    private async Task SettleRejectedAsync(FileEntity file, CancellationToken cancellationToken)
    {
        await removal.SettleUploadNameAsync(file, cancellationToken);
        await quota.ReleaseAsync(file.UserId, file.Id, cancellationToken);
    }

    /// <summary>The client's metadata, plus the EXIF orientation of a JPEG (read by MetadataExtractor).</summary>
    private static string? WithOrientation(string? metadata, ContentTypes.Sniffed? type, ReadOnlyMemory<byte> head)
    {
        if (type != ContentTypes.Jpeg)
            return metadata;
        int? orientation = null;
        try
        {
            using var stream = new MemoryStream(head.ToArray(), writable: false);
            var exif = ImageMetadataReader.ReadMetadata(stream).OfType<ExifIfd0Directory>().FirstOrDefault();
            if (exif is not null && exif.TryGetInt32(ExifDirectoryBase.TagOrientation, out var value))
                orientation = value;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The bytes are the client's: whatever the parser makes of a malformed file, it only means "no orientation".
        }

        if (orientation is null)
            return metadata;
        var merged = metadata is null ? [] : JsonNode.Parse(metadata)!.AsObject();
        merged["orientation"] = orientation;
        return merged.ToJsonString();
    }

    /// <summary><c>{user_id}/{task_id}/{file_id}</c>.</summary>
    public static bool TryParse(string blobName, out long userId, out long taskId, out long fileId)
    {
        var parts = blobName.Split('/');
        userId = taskId = fileId = 0;
        return parts.Length == 3
               && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out userId)
               && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out taskId)
               && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out fileId);
    }
}

internal static partial class CompletionLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "File {FileId} of task {TaskId} uploaded: {Size} bytes of {MimeType}")]
    public static partial void Uploaded(ILogger logger, long fileId, long taskId, long size, string mimeType);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "File {FileId} of task {TaskId} rejected: {Reason}")]
    public static partial void Rejected(ILogger logger, long fileId, long taskId, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Blob of file {FileId} of task {TaskId} deleted: no live reservation")]
    public static partial void Late(ILogger logger, long fileId, long taskId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Blob {BlobName} deleted: not a name the service gives")]
    public static partial void Rogue(ILogger logger, string blobName);
}
