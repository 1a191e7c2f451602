using Azure;
using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Files;
using FormFiles.Storage;
using FormFiles.Tasks;

namespace FormFiles.Submissions;

/// <summary>
/// <c>task/form/file/delete {file_id}</c> (ours): an unsubmitted file goes now and gives its quota
/// back, whatever the task's state (so that a closed task's leftovers can be cleared); 269 for a
/// submitted file, 201 for one that does not exist, is another user's, or is deleted already.
/// </summary>
internal sealed class FileDeleteAction(ApiKeys keys, Tables tables, FileRemoval removal, TimeProvider time) : IApiAction
{
    public string Name => "task/form/file/delete";

    public async Task<IResult> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access.Write, cancellationToken);
        var fileId = request.Parameters.RequiredInt64("file_id");
        var due = PendingEntity.Bucket(time.GetUtcNow());
        var announced = false;
        while (true)
        {
            var partition = Tables.Key(FileIds.TaskOf(Math.Max(fileId, 0)));
            var fileRow = await tables.Tasks.GetEntityIfExistsAsync<FileEntity>(partition, FileEntity.Row(fileId), cancellationToken: cancellationToken);
            if (!fileRow.HasValue || fileRow.Value!.UserId != caller.UserId || fileRow.Value.State == FileStates.Deleted)
                throw new ApiException(ErrorCode.NotFound, "Not found in database: no such file");
            var file = fileRow.Value;
            if (file.Submitted)
                throw new ApiException(ErrorCode.InvalidFileState, $"Invalid file state: file {file.Id} is submitted; a submission that leaves it out deletes it");

            if (!announced)
            {
                await removal.AnnounceAsync([file], due, cancellationToken);
                announced = true;
            }

            var task = (await tables.Tasks.GetEntityAsync<TaskEntity>(partition, TaskEntity.Row, cancellationToken: cancellationToken)).Value;
            var counted = file.AwaitsUpload || file.State == FileStates.Uploaded;
            if (counted)
                task.CountUnsubmitted(file.FieldId, -1);
            file.State = FileStates.Deleted;
            try
            {
                await tables.Tasks.SubmitTransactionAsync(
                    [new(TableTransactionActionType.UpdateReplace, task, task.ETag), new(TableTransactionActionType.UpdateReplace, file, file.ETag)], cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 412)
            {
                continue; // Changed meanwhile (an upload completed, a submission bound it): decide again.
            }

            await removal.FinishAsync([file], due, cancellationToken);
            return ApiResults.Ok(new EmptyResponse());
        }
    }
}
