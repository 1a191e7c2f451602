using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Files;
using FormFiles.Templates;

namespace FormFiles.Tasks;

/// <summary><c>task/form/create {task_id, template_id}</c>: 201, 247 when the task has a form, 255 outside unassigned/assigned/arrived.</summary>
internal sealed class TaskFormCreateAction(ApiKeys keys, TaskStore tasks, TemplateStore templates) : IApiAction
{
    public string Name => "task/form/create";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var taskId = request.Parameters.RequiredInt64("task_id");
        var templateId = request.Parameters.RequiredInt64("template_id");
        var template = await templates.FindAsync(caller.UserId, templateId, cancellationToken) ?? throw NotFound.Template();
        await tasks.AttachFormAsync(caller.UserId, taskId, template, cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }
}

/// <summary><c>task/form/read {task_id}</c> → <c>{value: form or null, files}</c>.</summary>
internal sealed class TaskFormReadAction(ApiKeys keys, TaskStore tasks, FileViews files) : IApiAction
{
    public string Name => "task/form/read";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var task = await tasks.LoadAsync(caller.UserId, request.Parameters.RequiredInt64("task_id"), cancellationToken);
        return ApiResults.Ok(new TaskFormResponse(task.FormView(), task.FormId is null ? [] : [.. (await files.ListAsync(task.Id, cancellationToken)).Select(f => f.As(request.Parameters))]));
    }
}

internal sealed record TaskFormResponse(FormView? Value, IReadOnlyList<FormFileView> Files) : ApiResponse;

/// <summary><c>task/form/delete {task_id}</c>: the form with its values and files.</summary>
internal sealed class TaskFormDeleteAction(ApiKeys keys, TaskStore tasks) : IApiAction
{
    public string Name => "task/form/delete";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        await tasks.DetachFormAsync(caller.UserId, request.Parameters.RequiredInt64("task_id"), cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }
}
