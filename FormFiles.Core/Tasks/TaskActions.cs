using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Templates;

namespace FormFiles.Tasks;

/// <summary><c>task/create {task: {label, description?, external_id?, from?, to?, form_template_id?}, create_form?}</c> → <c>{id}</c>.</summary>
internal sealed class TaskCreateAction(ApiKeys keys, TaskStore tasks, TemplateStore templates) : IApiAction
{
    public string Name => "task/create";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var fields = request.Parameters.Nested("task");
        var task = new TaskEntity
        {
            UserId = caller.UserId,
            Label = Text.Label(fields.RequiredString("label"), "task.label", 200),
            Description = Text.Optional(fields.OptionalString("description"), "task.description", 1024),
            ExternalId = Text.Optional(fields.OptionalString("external_id"), "task.external_id", 256),
            From = Date(fields, "from"),
            To = Date(fields, "to"),
        };
        if (task.From > task.To)
            throw ApiException.InvalidParameter("task.from", "must not be after task.to");
        var templateId = fields.OptionalInt64("form_template_id");
        var createForm = request.Parameters.OptionalBoolean("create_form") == true;
        if (createForm && templateId is null)
            throw ApiException.InvalidParameter("task.form_template_id", "is required with create_form");
        var template = templateId is { } id
            ? await templates.FindAsync(caller.UserId, id, cancellationToken) ?? throw NotFound.Template()
            : null;

        return ApiResults.Ok(new IdResponse(await tasks.CreateAsync(task, createForm ? template : null, cancellationToken)));
    }

    private static DateTimeOffset? Date(ApiParameters fields, string name) =>
        fields.OptionalString(name) is not { } text ? null
        : ApiDate.TryParse(text, out var date) ? date
        : throw ApiException.InvalidParameter($"task.{name}", $"must be a date as {ApiDate.Format} or ISO 8601 with an offset");
}

/// <summary><c>task/read {task_id}</c> → <c>{value}</c>.</summary>
internal sealed class TaskReadAction(ApiKeys keys, TaskStore tasks) : IApiAction
{
    public string Name => "task/read";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var task = await tasks.LoadAsync(caller.UserId, request.Parameters.RequiredInt64("task_id"), cancellationToken);
        return ApiResults.Ok(new ValueResponse<TaskView>(task.ToView()));
    }
}

/// <summary>
/// <c>task/list {statuses?, external_id?, from?, to?, next?, offset?, limit?}</c> → <c>{list, count, next?}</c>, by id.
/// Without a limit (absent or null, as Navixy) the list holds every match up to <see cref="MaxUnpaged"/>. A page
/// goes on after the previous one's <c>next</c>; an offset reads its keys, so it is at most <see cref="MaxOffset"/>.
/// </summary>
internal sealed class TaskListAction(ApiKeys keys, TaskList tasks) : IApiAction
{
    public const int MaxLimit = 1000;

    /// <summary>The most tasks one answer holds; <c>count</c> still says how many match.</summary>
    public const int MaxUnpaged = 10_000;

    /// <summary>The largest answer (docs/api.md "Limits"): a page of long texts stops short of its limit, with a <c>next</c>.</summary>
    public const int MaxAnswerBytes = 4 << 20;

    /// <summary>The deepest offset (10 storage pages of keys); past it, <c>next</c> goes on at the cost of one page.</summary>
    public const int MaxOffset = 10_000;

    public string Name => "task/list";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var p = request.Parameters;
        var statuses = p.OptionalArray("statuses") is { } array
            ? array.EnumerateArray().Select(s => s.ValueKind == System.Text.Json.JsonValueKind.String && TaskStatuses.All.Contains(s.GetString()!)
                ? s.GetString()!
                : throw ApiException.InvalidParameter("statuses", $"may hold only {string.Join(", ", TaskStatuses.All)}")).Distinct().ToList()
            : [];
        var offset = p.OptionalInt64("offset") ?? 0;
        var limit = p.OptionalInt64("limit") ?? MaxUnpaged;
        if (offset is < 0 or > MaxOffset)
            throw ApiException.InvalidParameter("offset", $"must be 0 to {MaxOffset}; go further with the previous page's next");
        var after = p.OptionalInt64("next");
        if (after is < 0)
            throw ApiException.InvalidParameter("next", "must be the next of a previous page");
        if (p.OptionalInt64("limit") is not null && limit is < 1 or > MaxLimit)
            throw ApiException.InvalidParameter("limit", $"must be 1 to {MaxLimit}, or null for every task (up to {MaxUnpaged})");
        var filter = new TaskFilter(statuses, p.OptionalString("external_id"), Date(p, "from"), Date(p, "to"));
        if (filter.From > filter.To)
            throw ApiException.InvalidParameter("from", "must not be after 'to'");

        var page = await tasks.ListAsync(caller.UserId, filter, after, (int)offset, (int)limit, cancellationToken);
        var (shown, next) = WithinAnswer(page);
        return ApiResults.Ok(new TaskListResponse(shown.Select(t => t.ToView()).ToList(), page.Count, next));
    }

    /// <summary>
    /// The page's tasks up to <see cref="MaxAnswerBytes"/>, by each task's largest JSON (a task's fixed fields, and its texts
    /// with every character that might be escaped at 6 bytes); where it stops short, <c>next</c> goes on after the last task shown.
    /// </summary>
    private static (IReadOnlyList<TaskEntity> Shown, long? Next) WithinAnswer(TaskPage page)
    {
        static long Text(string? text) => text?.Sum(c => c is >= ' ' and < '\x7f' and not ('"' or '\\' or '<' or '>' or '&' or '\'' or '+' or '`') ? 1L : 6L) ?? 0;
        var bytes = 1024L;
        for (var i = 0; i < page.Tasks.Count; i++)
        {
            var task = page.Tasks[i];
            bytes += 320 + Text(task.Label) + Text(task.Description) + Text(task.ExternalId);
            if (bytes > MaxAnswerBytes && i > 0)
                return (page.Tasks.Take(i).ToList(), page.Tasks[i - 1].Id);
        }

        return (page.Tasks, page.Next);
    }

    private static DateTimeOffset? Date(ApiParameters p, string name) =>
        p.OptionalString(name) is not { } text ? null
        : ApiDate.TryParse(text, out var date) ? date
        : throw ApiException.InvalidParameter(name, $"must be a date as {ApiDate.Format} or ISO 8601 with an offset");
}

/// <param name="Next">Where the next page starts (pass it as <c>next</c>); absent on the last page.</param>
internal sealed record TaskListResponse(
    IReadOnlyList<TaskView> List,
    int Count,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? Next) : ApiResponse;

/// <summary><c>task/delete {task_id}</c>: the task, its form and its files.</summary>
internal sealed class TaskDeleteAction(ApiKeys keys, TaskStore tasks) : IApiAction
{
    public string Name => "task/delete";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        await tasks.DeleteAsync(caller.UserId, request.Parameters.RequiredInt64("task_id"), cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }
}

/// <summary><c>task/status/change {task_id, status}</c> (ours): how an integration moves a task along.</summary>
internal sealed class TaskStatusChangeAction(ApiKeys keys, TaskStore tasks) : IApiAction
{
    public string Name => "task/status/change";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var taskId = request.Parameters.RequiredInt64("task_id");
        var status = request.Parameters.RequiredString("status");
        if (!TaskStatuses.All.Contains(status))
            throw ApiException.InvalidParameter("status", $"must be one of {string.Join(", ", TaskStatuses.All)}");
        await tasks.ChangeStatusAsync(caller.UserId, taskId, status, cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }
}
