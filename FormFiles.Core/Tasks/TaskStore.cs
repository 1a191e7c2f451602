using Azure;
using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Files;
using FormFiles.Storage;
using FormFiles.Templates;

namespace FormFiles.Tasks;

/// <summary>
/// Tasks and their forms (design §6). Every read-modify-write of a task row is conditional on its
/// ETag and retried on 412. A task that belongs to another user is reported exactly as a missing
/// one (201).
/// </summary>
public sealed class TaskStore(Tables tables, IdAllocator ids, FileRemoval removal, TimeProvider time)
{
    /// <summary>The caller's task, with its form, in one point read; or 201.</summary>
    public async Task<TaskEntity> LoadAsync(long userId, long taskId, CancellationToken cancellationToken)
    {
        var row = await tables.Tasks.GetEntityIfExistsAsync<TaskEntity>(Tables.Key(taskId), TaskEntity.Row, cancellationToken: cancellationToken);
        return row.HasValue && row.Value!.UserId == userId ? row.Value : throw NotFound.Task();
    }

    public async Task<long> CreateAsync(TaskEntity task, TemplateEntity? formTemplate, CancellationToken cancellationToken)
    {
        task.Id = await ids.NextAsync("task", cancellationToken);
        task.PartitionKey = Tables.Key(task.Id);
        task.Created = task.StatusChanged = time.GetUtcNow();
        task.Version = 1;
        if (formTemplate is not null)
            task.AttachForm(await ids.NextAsync("form", cancellationToken), formTemplate, task.Created);
        await tables.Tasks.AddEntityAsync(task, cancellationToken);
        await SyncListAsync(task, cancellationToken);
        return task.Id;
    }

    public async Task ChangeStatusAsync(long userId, long taskId, string status, CancellationToken cancellationToken)
    {
        var task = await UpdateAsync(userId, taskId, task =>
        {
            if (task.Status == status)
                return false;
            task.Status = status;
            task.StatusChanged = time.GetUtcNow();
            task.Version++;
            return true;
        }, cancellationToken);

        // Also when nothing changed: a retry after a failure between the two writes repairs the list copy.
        await SyncListAsync(task, cancellationToken);
    }

    /// <summary>Attaches a form made from <paramref name="template"/>: 247 when the task has one, 255 outside unassigned/assigned/arrived.</summary>
    public async Task AttachFormAsync(long userId, long taskId, TemplateEntity template, CancellationToken cancellationToken)
    {
        var formId = await ids.NextAsync("form", cancellationToken);
        await UpdateAsync(userId, taskId, task =>
        {
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
        var due = PendingEntity.Bucket(time.GetUtcNow());
        while (true)
        {
            var task = await LoadAsync(userId, taskId, cancellationToken);
            if (task.FormId is null)
                throw NotFound.Form();
            RequireFormChanges(task);
            var files = (await tables.FilesOfTaskAsync(task.PartitionKey, cancellationToken)).Where(f => f.State != FileStates.Deleted).ToList();
            await removal.AnnounceAsync(files, due, cancellationToken);
            foreach (var file in files)
                file.State = FileStates.Deleted;
            task.DetachForm();
            try
            {
                // The task row and the first files together; a form with more files than one transaction takes has the rest marked after.
                await tables.Tasks.SubmitTransactionAsync(
                    files.Take(99).Select(f => new TableTransactionAction(TableTransactionActionType.UpdateReplace, f, f.ETag))
                        .Prepend(new TableTransactionAction(TableTransactionActionType.UpdateReplace, task, task.ETag)),
                    cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 412)
            {
                continue; // A reservation, upload or submission changed the form first: look again.
            }

            foreach (var chunk in files.Skip(99).Chunk(100))
                await tables.Tasks.SubmitTransactionAsync(chunk.Select(f => new TableTransactionAction(TableTransactionActionType.UpdateReplace, f, ETag.All)), cancellationToken);
            await removal.FinishAsync(files, due, cancellationToken);
            return;
        }
    }

    /// <summary>
    /// Deletes the task and everything in its partition, the task row last, then its list copy; the
    /// files are announced to the sweep first and their blobs and quota settled after.
    /// </summary>
    public async Task DeleteAsync(long userId, long taskId, CancellationToken cancellationToken)
    {
        var task = await LoadAsync(userId, taskId, cancellationToken);
        var due = PendingEntity.Bucket(time.GetUtcNow());
        var files = await tables.FilesOfTaskAsync(task.PartitionKey, cancellationToken);
        await removal.AnnounceAsync(files, due, cancellationToken);
        foreach (var chunk in files.Chunk(100))
            await tables.Tasks.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), cancellationToken);
        await tables.Tasks.DeleteEntityAsync(task.PartitionKey, TaskEntity.Row, ETag.All, cancellationToken);
        await tables.UserTasks.DeleteEntityAsync(Tables.Key(task.UserId), task.PartitionKey, ETag.All, cancellationToken);
        await removal.FinishAsync(files, due, cancellationToken);
    }

    /// <summary>The caller's tasks by id, read from the list copies (one partition query).</summary>
    public async Task<(List<TaskEntity> Page, int Count)> ListAsync(
        long userId, IReadOnlyCollection<string> statuses, string? externalId, int offset, int limit, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Tables.Key(userId)}");
        if (statuses.Count > 0)
            filter += " and (" + string.Join(" or ", statuses.Select(s => TableClient.CreateQueryFilter($"Status eq {s}"))) + ")";
        if (externalId is not null)
            filter += " and " + TableClient.CreateQueryFilter($"ExternalId eq {externalId}");

        var page = new List<TaskEntity>();
        var count = 0;
        await foreach (var row in tables.UserTasks.QueryAsync<TaskEntity>(filter, cancellationToken: cancellationToken))
        {
            if (count >= offset && page.Count < limit)
                page.Add(row);
            count++;
        }

        return (page, count);
    }

    /// <summary>Read, change, write with If-Match; on 412 read again and reapply. <paramref name="change"/> returns false for "nothing to write".</summary>
    private async Task<TaskEntity> UpdateAsync(long userId, long taskId, Func<TaskEntity, bool> change, CancellationToken cancellationToken)
    {
        while (true)
        {
            var task = await LoadAsync(userId, taskId, cancellationToken);
            if (!change(task))
                return task;
            try
            {
                await tables.Tasks.UpdateEntityAsync(task, task.ETag, TableUpdateMode.Replace, cancellationToken);
                return task;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Someone else changed the task first: apply the change to the new state.
            }
        }
    }

    private static void RequireFormChanges(TaskEntity task)
    {
        if (!TaskStatuses.AllowsFormChanges(task.Status))
            throw new ApiException(ErrorCode.InvalidTaskState, $"Invalid task state: the task is {task.Status}; its form changes only while it is unassigned, assigned or arrived");
    }

    /// <summary>Copies the task's list columns to the owner's list partition, unless a newer copy is there.</summary>
    private async Task SyncListAsync(TaskEntity task, CancellationToken cancellationToken)
    {
        var copy = new TaskEntity
        {
            PartitionKey = Tables.Key(task.UserId),
            RowKey = Tables.Key(task.Id),
            Id = task.Id,
            UserId = task.UserId,
            Label = task.Label,
            Description = task.Description,
            ExternalId = task.ExternalId,
            From = task.From,
            To = task.To,
            Status = task.Status,
            Created = task.Created,
            StatusChanged = task.StatusChanged,
            Version = task.Version,
        };
        while (true)
        {
            var existing = await tables.UserTasks.GetEntityIfExistsAsync<TaskEntity>(copy.PartitionKey, copy.RowKey, cancellationToken: cancellationToken);
            try
            {
                if (!existing.HasValue)
                    await tables.UserTasks.AddEntityAsync(copy, cancellationToken);
                else if (existing.Value!.Version < copy.Version)
                    await tables.UserTasks.UpdateEntityAsync(copy, existing.Value.ETag, TableUpdateMode.Replace, cancellationToken);
                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // A concurrent copy landed first: compare versions again.
            }
        }
    }
}
