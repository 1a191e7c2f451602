using Azure;
using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Files;
using FormFiles.Storage;
using FormFiles.Telemetry;
using FormFiles.Templates;
using FormFiles.Webhooks;

namespace FormFiles.Tasks;

/// <summary>
/// Tasks and their forms (design §6). Every read-modify-write of a task row is conditional on its
/// ETag, stamped (<see cref="StampedWrites"/>) and retried through <see cref="Contention"/>. A task
/// that belongs to another user is reported exactly as a missing one (201). A change that the list
/// shows is announced in the pending index first and its list copy written after
/// (<see cref="TaskList"/>): if the process stops in between, the sweep repairs the copy.
/// </summary>
public sealed class TaskStore(Tables tables, TaskList list, IdAllocator ids, FileRemoval removal, WebhookRelay relay, FormFilesMetrics metrics, TimeProvider time)
{
    /// <summary>How long a task-list change may take before the sweep repairs its copy.</summary>
    private static readonly TimeSpan ListingGrace = TimeSpan.FromMinutes(2);

    /// <summary>The caller's task, with its form, in one point read; or 201.</summary>
    public async Task<TaskEntity> LoadAsync(long userId, long taskId, CancellationToken cancellationToken)
    {
        var row = await tables.Tasks.GetEntityIfExistsAsync<TaskEntity>(Tables.Key(taskId), TaskEntity.Row, cancellationToken: cancellationToken);
        return row.HasValue && row.Value!.UserId == userId ? row.Value : throw NotFound.Task();
    }

    public async Task<long> CreateAsync(TaskEntity task, TemplateEntity? formTemplate, CancellationToken cancellationToken)
    {
        task.Id = await ids.NextAsync(IdAllocator.Tasks, cancellationToken);
        task.PartitionKey = Tables.Key(task.Id);
        task.Created = task.StatusChanged = time.GetUtcNow();
        task.Version = 1;
        if (formTemplate is not null)
            task.AttachForm(await ids.NextAsync("form", cancellationToken), formTemplate, task.Created);
        await ListedAsync(task.UserId, task.Id, async () =>
        {
            if (!await tables.Tasks.TryAddAsync(task, cancellationToken))
                throw new InvalidOperationException($"Task id {task.Id} was handed out twice");
            return task;
        }, cancellationToken);
        return task.Id;
    }

    /// <summary>Also when nothing changes, the list copy is written: a retry after a failure between the two writes repairs it.</summary>
    public Task ChangeStatusAsync(long userId, long taskId, string status, CancellationToken cancellationToken) =>
        ListedAsync(userId, taskId, async () => await UpdateAsync(userId, taskId, task =>
        {
            if (task.Status == status)
                return false;
            task.Status = status;
            task.StatusChanged = time.GetUtcNow();
            task.Version++;
            return true;
        }, cancellationToken), cancellationToken);

    /// <summary>Attaches a form made from <paramref name="template"/>: 247 when the task has one, 255 outside unassigned/assigned/arrived.</summary>
    public async Task AttachFormAsync(long userId, long taskId, TemplateEntity template, CancellationToken cancellationToken)
    {
        var formId = await ids.NextAsync("form", cancellationToken);
        await UpdateAsync(userId, taskId, task =>
        {
            if (task.FormId == formId)
                return false; // This very change landed on an earlier attempt.
            if (task.FormId is not null)
                throw new ApiException(ErrorCode.AlreadyExists, "Entity already exists: the task already has a form");
            RequireFormChanges(task);
            task.AttachForm(formId, template, time.GetUtcNow());
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Removes the form with its values and files: 201 without one, 255 outside unassigned/assigned/arrived.
    /// The files are announced to the sweep first, marked deleted with the form's removal (the task
    /// row conditional on its ETag), then settled.
    /// </summary>
    public async Task DetachFormAsync(long userId, long taskId, CancellationToken cancellationToken)
    {
        var due = time.GetUtcNow();
        var announcement = new Announcement(due);
        var files = await Contention.RetryAsync(async () =>
        {
            var task = await LoadAsync(userId, taskId, cancellationToken);
            if (task.FormId is null)
                throw NotFound.Form();
            RequireFormChanges(task);
            var files = (await tables.FilesOfTaskAsync(task.PartitionKey, cancellationToken)).Where(f => f.State != FileStates.Deleted && !f.IsAttachment()).ToList();
            await removal.AnnounceAsync(files, announcement, cancellationToken);
            foreach (var file in files)
                file.State = FileStates.Deleted;
            task.DetachForm();

            // The task row and the first files together (with their events); a form with more files than one transaction takes has the rest marked after.
            var changes = files.Take(FilesPerTransaction).Select(f => new TableTransactionAction(TableTransactionActionType.UpdateReplace, f, f.ETag))
                .Prepend(new TableTransactionAction(TableTransactionActionType.UpdateReplace, task, task.ETag)).ToList();
            var recorded = await RecordDeletedAsync(userId, taskId, files.Take(FilesPerTransaction), DeleteReasons.FormDeleted, due, cancellationToken);
            if (recorded is not null)
                changes.Add(recorded.Outbox);
            announcement.ThrowIfLate(time);
            var removed = recorded is null
                ? await tables.Tasks.TrySubmitAsync(changes, task, cancellationToken)
                : await tables.Tasks.TrySubmitAsync(changes, recorded.Row, cancellationToken); // The outbox row: only this change writes it.
            if (removed)
            {
                relay.Committed(recorded);
                metrics.Deleted(DeleteReasons.FormDeleted, Math.Min(files.Count, FilesPerTransaction));
            }
            return (removed, files); // Not removed: a reservation, upload or submission changed the form first; look again.
        }, cancellationToken);

        foreach (var chunk in files.Skip(FilesPerTransaction).Chunk(FilesPerTransaction))
            await MarkDeletedAsync(userId, taskId, chunk.Select(f => f.Id).ToList(), announcement, due, cancellationToken);

        await removal.FinishAsync(files, announcement, cancellationToken);
    }

    /// <summary>
    /// Deletes the task and everything in its partition, the task row last (conditional on the ETag it
    /// had when its files were listed, so that a file reserved meanwhile goes too), then its list copy;
    /// the files are announced to the sweep first and their blobs and quota settled after.
    /// </summary>
    public async Task DeleteAsync(long userId, long taskId, CancellationToken cancellationToken)
    {
        await LoadAsync(userId, taskId, cancellationToken);
        var due = time.GetUtcNow();
        var announcement = new Announcement(due);
        var files = new Dictionary<long, FileEntity>();
        await ListedAsync(userId, taskId, async () =>
        {
            await Contention.RetryAsync(async () =>
            {
                var task = await tables.Tasks.GetEntityIfExistsAsync<TaskEntity>(Tables.Key(taskId), TaskEntity.Row, cancellationToken: cancellationToken);
                if (!task.HasValue)
                    return true; // Gone: this delete landed already (a retry), or another one did.
                if (task.Value!.UserId != userId)
                    throw NotFound.Task();
                var found = await tables.FilesOfTaskAsync(task.Value.PartitionKey, cancellationToken);
                await removal.AnnounceAsync(found.Where(f => !files.ContainsKey(f.Id)), announcement, cancellationToken);
                foreach (var file in found)
                    files[file.Id] = file;
                try
                {
                    foreach (var chunk in found.Chunk(FilesPerTransaction))
                    {
                        var recorded = await RecordDeletedAsync(userId, taskId, chunk.Where(f => f.State != FileStates.Deleted), DeleteReasons.TaskDeleted, due, cancellationToken);
                        announcement.ThrowIfLate(time);
                        await tables.Tasks.SubmitTransactionAsync(WithOutbox(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), recorded), cancellationToken);
                        relay.Committed(recorded);
                        metrics.Deleted(DeleteReasons.TaskDeleted, chunk.Count(f => f.State != FileStates.Deleted));
                    }

                    await tables.Tasks.DeleteEntityAsync(task.Value.PartitionKey, TaskEntity.Row, task.Value.ETag, cancellationToken);
                    return true;
                }
                catch (Exception e) when (e is TableTransactionFailedException { Status: 404 } or RequestFailedException { Status: 412 })
                {
                    return false; // A row went meanwhile (or a retry found its own delete landed), or a file came: list again.
                }
            }, cancellationToken);
            return null;
        }, cancellationToken);
        await removal.FinishAsync(files.Values, announcement, cancellationToken);
    }

    /// <summary>
    /// Marks files of a detached form deleted, with their events, in one transaction; files that went or
    /// changed meanwhile are read again, and those still not deleted marked on the next attempt.
    /// </summary>
    private Task MarkDeletedAsync(long userId, long taskId, IReadOnlyList<long> fileIds, Announcement announcement, DateTimeOffset due, CancellationToken cancellationToken) =>
        Contention.RetryAsync(async () =>
        {
            var files = new List<FileEntity>();
            foreach (var id in fileIds)
            {
                if (await tables.FindFileAsync(taskId, id, cancellationToken) is { State: not FileStates.Deleted } file)
                    files.Add(file);
            }

            if (files.Count == 0)
                return true;
            var events = await RecordDeletedAsync(userId, taskId, files, DeleteReasons.FormDeleted, due, cancellationToken);
            foreach (var file in files)
                file.State = FileStates.Deleted;
            var changes = WithOutbox(files.Select(f => new TableTransactionAction(TableTransactionActionType.UpdateReplace, f, f.ETag)), events);
            announcement.ThrowIfLate(time);
            var marked = events is null
                ? await tables.Tasks.TrySubmitAsync(changes, files[0], cancellationToken)
                : await tables.Tasks.TrySubmitAsync(changes, events.Row, cancellationToken);
            if (marked)
            {
                relay.Committed(events);
                metrics.Deleted(DeleteReasons.FormDeleted, files.Count);
            }
            return marked;
        }, cancellationToken);

    /// <summary>File rows a transaction changes beside the task row and the outbox row (100 in all).</summary>
    private const int FilesPerTransaction = 98;

    private async Task<WebhookRelay.Recorded?> RecordDeletedAsync(long userId, long taskId, IEnumerable<FileEntity> files, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var events = files.Select(f => Events.File(EventTypes.FileDeleted, f.Clone(FileStates.Deleted), now, reason)).ToList();
        return events.Count == 0 ? null : await relay.RecordAsync(userId, taskId, events, cancellationToken);
    }

    private static List<TableTransactionAction> WithOutbox(IEnumerable<TableTransactionAction> changes, WebhookRelay.Recorded? recorded) =>
        recorded is null ? changes.ToList() : [.. changes, recorded.Outbox];

    /// <summary>The form the task has now (null: none, or no such task), for the sweep's judgement of an announced file.</summary>
    public async Task<long?> FormOfAsync(long taskId, CancellationToken cancellationToken)
    {
        var task = await tables.Tasks.GetEntityIfExistsAsync<TaskEntity>(Tables.Key(taskId), TaskEntity.Row, cancellationToken: cancellationToken);
        return task.HasValue ? task.Value!.FormId : null;
    }

    /// <summary>
    /// Makes sure no admission of <paramref name="fileId"/> still in flight can land: the task's file sequence
    /// is moved past it (conditional on the task row's ETag), so every transaction built on an older task row
    /// fails. True when sealed (or the task is gone, which no admission survives); false on a lost race.
    /// </summary>
    public async Task<bool> SealFileIdAsync(long taskId, long fileId, CancellationToken cancellationToken)
    {
        var task = await tables.Tasks.GetEntityIfExistsAsync<TaskEntity>(Tables.Key(taskId), TaskEntity.Row, cancellationToken: cancellationToken);
        if (!task.HasValue)
            return true;
        var block = FileIds.BlockOf(fileId);
        var index = block == taskId ? 0 : (await tables.FindBlockAsync(block, cancellationToken) is { } owner && owner.TaskId == taskId ? owner.Index : (int?)null);
        // Without its block's row the id cannot be placed: any change of the task row seals it all the same.
        var sequence = index is null ? task.Value!.FileSequence : FileIds.SequenceOf(fileId, index.Value);
        if (index is not null && task.Value!.FileSequence >= sequence)
            return true; // Moved past it by a transaction newer than any that could still bring it.
        task.Value!.FileSequence = sequence;
        return await tables.Tasks.TryUpdateAsync(task.Value, task.Value.ETag, cancellationToken);
    }

    /// <summary>The sweep's repair of an announced list change: the copy follows the task row as it is now.</summary>
    public async Task RepairListingAsync(PendingEntity announcement, CancellationToken cancellationToken)
    {
        var task = await tables.Tasks.GetEntityIfExistsAsync<TaskEntity>(Tables.Key(announcement.TaskId), TaskEntity.Row, cancellationToken: cancellationToken);
        await list.SyncAsync(announcement.UserId, announcement.TaskId, task.HasValue && task.Value!.UserId == announcement.UserId ? task.Value : null, cancellationToken);
        await WithdrawAsync(announcement, announcement.ETag, cancellationToken);
    }

    /// <summary>
    /// A change the list shows: announced first (due after <see cref="ListingGrace"/>), then
    /// <paramref name="change"/> (which returns the task as it stands, or null when it is gone), then
    /// the copy, then the announcement withdrawn. A copy that stays contended is left to the sweep's
    /// repair: the change itself has landed, and answering 14 would make the client repeat it.
    /// </summary>
    private async Task ListedAsync(long userId, long taskId, Func<Task<TaskEntity?>> change, CancellationToken cancellationToken)
    {
        var announcement = PendingEntity.ForTask(userId, taskId, time.GetUtcNow() + ListingGrace);
        var announced = (await tables.Pending.UpsertEntityAsync(announcement, TableUpdateMode.Replace, cancellationToken)).Headers.ETag ?? ETag.All;
        TaskEntity? task;
        try
        {
            task = await change();
        }
        catch (ApiException)
        {
            await WithdrawAsync(announcement, announced, cancellationToken);
            throw;
        }

        try
        {
            await list.SyncAsync(userId, taskId, task, cancellationToken);
        }
        catch (StorageContentionException)
        {
            return;
        }

        await WithdrawAsync(announcement, announced, cancellationToken);
    }

    /// <summary>Deletes an announcement as this change wrote it; a later change's rewrite of it stays for that change.</summary>
    private async Task WithdrawAsync(PendingEntity announcement, ETag written, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Pending.DeleteEntityAsync(announcement.PartitionKey, announcement.RowKey, written, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            // Announced again by a later change of the same task.
        }
    }

    /// <summary>Read, change, write with If-Match; on a lost race read again and reapply. <paramref name="change"/> returns false for "nothing to write".</summary>
    private Task<TaskEntity> UpdateAsync(long userId, long taskId, Func<TaskEntity, bool> change, CancellationToken cancellationToken) =>
        Contention.RetryAsync(async () =>
        {
            var task = await LoadAsync(userId, taskId, cancellationToken);
            return !change(task) ? (true, task) : (await tables.Tasks.TryUpdateAsync(task, task.ETag, cancellationToken), task);
        }, cancellationToken);

    private static void RequireFormChanges(TaskEntity task)
    {
        if (!TaskStatuses.AllowsFormChanges(task.Status))
            throw new ApiException(ErrorCode.InvalidTaskState, $"Invalid task state: the task is {task.Status}; its form changes only while it is unassigned, assigned or arrived");
    }
}
