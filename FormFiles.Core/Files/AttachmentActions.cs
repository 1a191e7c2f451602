using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Tasks;

namespace FormFiles.Files;

/// <summary>
/// <c>task/file/create {task_id, size, filename?, metadata?}</c> → <c>{value: credentials}</c>: a task
/// attachment's reservation, with the credentials and checks of <c>task/form/file/create</c>:
/// 3/4 → 11 → 7 (types) → 201 → 255 → 271 → 7 (values) → 267 (six unattached) → 268.
/// </summary>
internal sealed class TaskFileCreateAction(ApiKeys keys, Reservations reservations) : IApiAction
{
    public string Name => "task/file/create";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        return await reservations.AnswerAsync(caller, request, request.Parameters.RequiredInt64("task_id"), Attachments.FieldId, cancellationToken);
    }
}

/// <summary><c>task/file/attach {task_id, file_ids}</c> → <c>{list: [file]}</c>: the named attachments, attached.</summary>
internal sealed class TaskFileAttachAction(ApiKeys keys, TaskAttachments attachments, FileViews views) : IApiAction
{
    public string Name => "task/file/attach";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var p = request.Parameters;
        var taskId = p.RequiredInt64("task_id");
        var fileIds = FileIdList.Read(p, "file_ids", TaskAttachments.MaxPerCall);
        var attached = await attachments.AttachAsync(caller.UserId, taskId, fileIds, cancellationToken);
        var list = new List<FormFileView>();
        foreach (var file in attached)
            list.Add(await views.ViewAsync(file, cancellationToken));
        return ApiResults.Ok(new ListResponse<FormFileView>(list));
    }
}

/// <summary><c>task/file/detach {task_id, file_id}</c> → <c>{}</c>: the attachment is deleted and its quota given back.</summary>
internal sealed class TaskFileDetachAction(ApiKeys keys, TaskAttachments attachments) : IApiAction
{
    public string Name => "task/file/detach";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var p = request.Parameters;
        await attachments.DetachAsync(caller.UserId, p.RequiredInt64("task_id"), p.RequiredInt64("file_id"), cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }
}

/// <summary><c>task/file/list {task_id}</c> → <c>{list: [file]}</c>: the task's reserved, uploaded and attached attachments.</summary>
internal sealed class TaskFileListAction(ApiKeys keys, TaskStore tasks, FileViews views) : IApiAction
{
    public string Name => "task/file/list";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var task = await tasks.LoadAsync(caller.UserId, request.Parameters.RequiredInt64("task_id"), cancellationToken);
        return ApiResults.Ok(new ListResponse<FormFileView>(await views.AttachmentsAsync(task.Id, cancellationToken)));
    }
}

/// <summary>A parameter that lists file ids: a JSON array of 1 to <c>max</c> integers (quoted ones too), repeats dropped.</summary>
internal static class FileIdList
{
    public static IReadOnlyList<long> Read(ApiParameters parameters, string name, int max)
    {
        var array = parameters.RequiredArray(name);
        if (array.GetArrayLength() is 0 || array.GetArrayLength() > max)
            throw ApiException.InvalidParameter(name, $"must name 1 to {max} files");
        var ids = new List<long>();
        var seen = new HashSet<long>();
        foreach (var item in array.EnumerateArray())
        {
            if (!JsonValues.TryGetInt64(item, out var id) || id <= 0)
                throw ApiException.InvalidParameter(name, "must hold file ids (positive integers)");
            if (seen.Add(id))
                ids.Add(id);
        }

        return ids;
    }
}
