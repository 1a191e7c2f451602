using Azure;
using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Storage;
using FormFiles.Tasks;
using FormFiles.Webhooks;

namespace FormFiles.Files;

/// <summary>Attaching and detaching a task's attachments (see <see cref="Attachments"/>).</summary>
public sealed class TaskAttachments(Tables tables, TaskStore tasks, FileRemoval removal, UploadCompletion completion, IOptions<FormFilesOptions> options, TimeProvider time)
{
    /// <summary>The most files one attach call names: they are attached in one transaction with the task row.</summary>
    public const int MaxPerCall = 50;

    /// <summary>
    /// Attaches uploaded attachments of the task (attached ones stay as they are): 7 naming a file that is
    /// not an uploaded attachment of this task, 267 past <c>FormFiles:MaxTaskAttachments</c>. The files and
    /// the task's counters change in one transaction, conditional on every row's ETag.
    /// </summary>
    public async Task<IReadOnlyList<FileEntity>> AttachAsync(long userId, long taskId, IReadOnlyList<long> fileIds, CancellationToken cancellationToken)
    {
        var attached = await Contention.RetryAsync<List<FileEntity>>(async () =>
        {
            var task = await tasks.LoadAsync(userId, taskId, cancellationToken);
            var files = (await tables.FilesOfTaskAsync(task.PartitionKey, cancellationToken)).ToDictionary(f => f.Id);
            var named = new List<FileEntity>();
            foreach (var id in fileIds)
            {
                if (!files.TryGetValue(id, out var file) || !file.IsAttachment() || file.State != FileStates.Uploaded)
                    throw ApiException.InvalidParameter("file_ids", $"names file {id}, which is not an uploaded attachment of task {taskId}");
                named.Add(file);
            }

            var fresh = named.Where(f => !f.Submitted).ToList();
            if (fresh.Count == 0)
                return (true, named);
            if (task.AttachedFiles + fresh.Count > options.Value.MaxTaskAttachments)
                throw new ApiException(ErrorCode.TooManyEntities, $"Too many entities: a task holds at most {options.Value.MaxTaskAttachments} attachments; task {taskId} has {task.AttachedFiles}");

            task.AttachedFiles += fresh.Count;
            task.CountUnsubmitted(Attachments.FieldId, -fresh.Count);
            foreach (var file in fresh)
                file.Submitted = true;
            var changes = fresh.Select(f => new TableTransactionAction(TableTransactionActionType.UpdateReplace, f, f.ETag))
                .Prepend(new TableTransactionAction(TableTransactionActionType.UpdateReplace, task, task.ETag)).ToList();
            if (!await tables.Tasks.TrySubmitAsync(changes, fresh[0], cancellationToken))
                return (false, []); // Another change of the task or its files came first: look again.

            foreach (var file in fresh)
                await ForgetDeadlineAsync(file, cancellationToken);
            return (true, named);
        }, cancellationToken);
        return attached;
    }

    /// <summary>Deletes one attachment of the task, whatever its state (201 when there is none), as <c>file.deleted</c> (<c>detached</c>).</summary>
    public async Task DetachAsync(long userId, long taskId, long fileId, CancellationToken cancellationToken)
    {
        await tasks.LoadAsync(userId, taskId, cancellationToken);
        var announcement = new Announcement(time.GetUtcNow());
        var announced = false;
        await Contention.RetryAsync(async () =>
        {
            var file = await tables.FindFileAsync(fileId, cancellationToken);
            if (file is null || file.TaskId != taskId || file.UserId != userId || !file.IsAttachment() || file.State == FileStates.Deleted)
            {
                // Once announced, a file that is gone was detached by this call (its landed commit, finished by the sweep).
                return announced ? true : throw new ApiException(ErrorCode.NotFound, $"Not found in database: task {taskId} has no attachment {fileId}");
            }

            if (!announced)
            {
                await removal.AnnounceAsync([file], announcement, cancellationToken);
                announced = true;
            }

            if (!await removal.TryMarkDeletedAsync(file, EventTypes.FileDeleted, DeleteReasons.Detached, cancellationToken, announcement))
                return false;
            await removal.FinishAsync([file], announcement, cancellationToken);
            await ForgetDeadlineAsync(file, cancellationToken);
            return true;
        }, cancellationToken);
    }

    /// <summary>The unattached deadline's index row goes (the sweep would find the file attached or gone and drop it anyway).</summary>
    private async Task ForgetDeadlineAsync(FileEntity file, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Pending.DeleteEntityAsync(PendingEntity.Partition(completion.UnattachedDeadline(file), file.TaskId), Tables.Key(file.Id), ETag.All, cancellationToken);
        }
        catch (Exception e) when (StorageFaults.IsStorageFailure(e))
        {
            // Left to the sweep.
        }
    }
}
