using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Files;
using FormFiles.Storage;
using FormFiles.Webhooks;

namespace FormFiles.Submissions;

/// <summary>
/// <c>task/form/file/delete {file_id}</c> (ours): an unsubmitted file goes now and gives its quota
/// back, whatever the task's state (so that a closed task's leftovers can be cleared); 269 for a
/// submitted file, 201 for one that does not exist, is another user's, or is deleted already.
/// </summary>
internal sealed class FileDeleteAction(ApiKeys keys, Tables tables, FileRemoval removal, TimeProvider time) : IApiAction
{
    public string Name => "task/form/file/delete";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var fileId = request.Parameters.RequiredInt64("file_id");
        var announcement = new Announcement(time.GetUtcNow());
        var announced = false;
        await Contention.RetryAsync(async () =>
        {
            var file = await tables.FindFileAsync(fileId, cancellationToken);
            if (file is null || file.UserId != caller.UserId || file.State == FileStates.Deleted)
                throw new ApiException(ErrorCode.NotFound, "Not found in database: no such file");
            if (file.Submitted)
            {
                throw new ApiException(ErrorCode.InvalidFileState, file.IsAttachment()
                    ? $"Invalid file state: file {file.Id} is attached to its task; task/file/detach deletes it"
                    : $"Invalid file state: file {file.Id} is submitted; a submission that leaves it out deletes it");
            }

            if (!announced)
            {
                await removal.AnnounceAsync([file], announcement, cancellationToken);
                announced = true;
            }

            if (!await removal.TryMarkDeletedAsync(file, EventTypes.FileDeleted, DeleteReasons.Api, cancellationToken, announcement))
                return false; // Changed meanwhile (an upload completed, a submission bound it): decide again.

            await removal.FinishAsync([file], announcement, cancellationToken);
            return true;
        }, cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }
}
