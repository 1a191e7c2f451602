using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Storage;
using FormFiles.Tasks;

namespace FormFiles.Dialects.OnlyOffice;

/// <summary>
/// ONLYOFFICE's task files, <c>/api/2.0/project/task/{taskid}/files</c>, as a translation of the task
/// attachment actions: POST → <c>task/file/attach</c>, GET → <c>task/file/list</c> (attached ones),
/// DELETE <c>?fileid=</c> → <c>task/file/detach</c>. The call goes through the canonical pipeline (rate
/// limit, key, right, Idempotency-Key, usage); the task shown after it is read with canonical actions.
/// </summary>
public sealed partial class OnlyOfficeEndpoints(ApiDispatcher dispatcher, ServedRequest served, CrossOrigin crossOrigin, Files.Reservations reservations, Files.MultipartUploads uploads, ILogger<OnlyOfficeEndpoints> logger)
{
    public const string Route = "/api/2.0/project/task/{taskid}/files";

    /// <summary>ONLYOFFICE's API answers every route with a <c>.json</c> suffix too (the format of the answer): the same call.</summary>
    public const string JsonRoute = Route + ".json";

    /// <param name="taskId">The route's <c>{taskid}</c>, as both hosts bind it.</param>
    public Task HandleAsync(HttpContext context, string? taskId) => AnswerAsync(context, () => RunAsync(context, taskId));

    /// <summary>One ONLYOFFICE request: its answer in ONLYOFFICE's envelope, whatever failed; no stack trace leaves.</summary>
    private async Task AnswerAsync(HttpContext context, Func<Task<(int, JsonObject)>> run)
    {
        using var entry = served.Begin(context);
        if (crossOrigin.Answer(context))
            return;
        JsonObject body;
        int status;
        try
        {
            (status, body) = await run();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (OnlyOfficeError e)
        {
            (status, body) = (e.StatusCode, Error(e.StatusCode, e.Message));
        }
        catch (ApiException e)
        {
            // An upload's own reading of the body (multipart, size) throws canonical errors directly.
            var mapped = StatusOf(e.Code);
            (status, body) = (mapped, Error(mapped, e.Message));
        }
        catch (Exception e) when (StorageFaults.IsUnavailable(e) && !context.Response.HasStarted)
        {
            (status, body) = (StatusCodes.Status503ServiceUnavailable, Error(StatusCodes.Status503ServiceUnavailable, $"Database unavailable, try again later (request {RequestId.Of(context)})"));
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            // The canonical pipeline answers every failure of its own; this is a translation's bug. No stack trace leaves.
            ApiLog.UnhandledError(logger, e, "onlyoffice", RequestId.Of(context));
            (status, body) = (StatusCodes.Status500InternalServerError, Error(StatusCodes.Status500InternalServerError, $"Unexpected error (request {RequestId.Of(context)})"));
        }

        await DialectResponse.WriteAsync(context, status, body);
    }

    private async Task<(int, JsonObject)> RunAsync(HttpContext context, string? route)
    {
        var request = context.Request;
        var key = CanonicalAnswer.Key(request, bearerOnly: false) ?? throw new OnlyOfficeError(StatusCodes.Status401Unauthorized, "No API key: send it in Authorization");
        if (!long.TryParse(route, NumberStyles.None, CultureInfo.InvariantCulture, out var taskId))
            throw new OnlyOfficeError(StatusCodes.Status404NotFound, "No such task");

        var call = new JsonObject { ["hash"] = key, ["task_id"] = taskId };
        string action;
        if (HttpMethods.IsPost(request.Method))
        {
            var files = await ReadFilesAsync(request, taskId);
            call["file_ids"] = files;
            action = "task/file/attach";
        }
        else if (HttpMethods.IsDelete(request.Method))
        {
            call["file_id"] = await FileIdAsync(request);
            action = "task/file/detach";
        }
        else
        {
            action = "task/file/list";
        }

        var (answer, caller) = await dispatcher.CallAsync(context, action, ApiParameters.Of(call));
        var result = Check(CanonicalAnswer.Of(answer));
        if (action == "task/file/list")
        {
            var wrappers = Attached(result.Body);
            return (StatusCodes.Status200OK, Success(wrappers, wrappers.Count));
        }

        return (StatusCodes.Status200OK, Success(await TaskAsync(context, key, taskId, caller), 1));
    }

    /// <summary>
    /// A DELETE's <c>fileid</c>: in the body as ONLYOFFICE documents it (JSON or a form), or in the query; a file id, bare or
    /// quoted, else 400.
    /// </summary>
    private static async Task<long> FileIdAsync(HttpRequest request)
    {
        try
        {
            var parameters = await ApiParameters.ReadAsync(request, readBody: true, request.HttpContext.RequestAborted);
            return parameters.OptionalInt64("fileid") is { } fileId and >= 0 ? fileId
                : throw new OnlyOfficeError(StatusCodes.Status400BadRequest, "fileid must be given, in the body or the query, as a file id");
        }
        catch (ApiException e)
        {
            throw new OnlyOfficeError(StatusCodes.Status400BadRequest, e.Message);
        }
        catch (BadHttpRequestException e)
        {
            throw new OnlyOfficeError(StatusCodes.Status400BadRequest, $"The body could not be read: {e.Message}");
        }
    }

    /// <summary>
    /// The body: <c>{"files": [ids], "taskid"?}</c>, read by the canonical reader (its size limit, UTF-8 and
    /// Unicode checks); a <c>taskid</c> must be the route's.
    /// </summary>
    private static async Task<JsonNode> ReadFilesAsync(HttpRequest request, long taskId)
    {
        try
        {
            var body = await ApiParameters.ReadAsync(request, readBody: true, request.HttpContext.RequestAborted);
            if (body.OptionalInt64("taskid") is { } given && given != taskId)
                throw new OnlyOfficeError(StatusCodes.Status400BadRequest, "taskid in the body must be the task of the URL");
            return JsonSerializer.SerializeToNode(body.RequiredArray("files"))!;
        }
        catch (ApiException e)
        {
            throw new OnlyOfficeError(StatusCodes.Status400BadRequest, e.Message);
        }
        catch (BadHttpRequestException e)
        {
            throw new OnlyOfficeError(StatusCodes.Status400BadRequest, $"The body could not be read: {e.Message}");
        }
    }

    /// <summary>The task as ONLYOFFICE shows it, with its attached files, read with task/read and task/file/list.</summary>
    private async Task<JsonObject> TaskAsync(HttpContext context, string key, long taskId, Caller? caller)
    {
        var parameters = new JsonObject { ["hash"] = key, ["task_id"] = taskId };
        var task = Check(CanonicalAnswer.Of(await dispatcher.ReadAsync(context, "task/read", ApiParameters.Of(parameters)))).Body["value"]!;
        var files = Check(CanonicalAnswer.Of(await dispatcher.ReadAsync(context, "task/file/list", ApiParameters.Of(parameters)))).Body;
        var userId = task["user_id"]!.GetValue<long>();
        var closed = !TaskStatuses.AllowsFormChanges(task["status"]!.GetValue<string>());
        var deadline = CanonicalAnswer.Iso(task["to"]);
        return new JsonObject
        {
            ["id"] = taskId,
            ["title"] = task["label"]?.DeepClone(),
            ["description"] = task["description"]?.DeepClone() ?? string.Empty,
            ["deadline"] = deadline,
            ["deadLine"] = deadline, // As seed 003's task names it.
            ["status"] = closed ? 2 : 1,
            ["isClosed"] = closed,
            ["alertValue"] = 0,
            ["created"] = CanonicalAnswer.Iso(task["creation_date"]),
            ["updated"] = CanonicalAnswer.Iso(task["status_change_date"] ?? task["creation_date"]),
            ["createdBy"] = Person(userId),
            ["createBy"] = Person(userId), // Seed 003's name for the creator.
            ["responsible"] = Person(userId),
            ["canEdit"] = caller?.May(Access.Write) ?? false,
            ["canDelete"] = caller?.May(Access.Write) ?? false,
            ["files"] = Attached(files),
        };
    }

    /// <summary>A task's people are its API user (a key's owner, not a person): its uuid and a display name.</summary>
    private static JsonObject Person(long userId) => new()
    {
        ["id"] = PersonId(userId), ["displayName"] = $"API user {userId}", ["title"] = string.Empty, ["avatarSmall"] = string.Empty, ["profileUrl"] = string.Empty,
    };

    /// <summary>ONLYOFFICE's people are uuids: a user's is its id in the last group (<c>00000000-0000-0000-0000-00000000002a</c>), stable and unique.</summary>
    private static string PersonId(long userId) => new Guid(0, 0, 0, BitConverter.IsLittleEndian ? BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(userId)) : BitConverter.GetBytes(userId)).ToString();

    private static JsonArray Attached(JsonObject list) =>
        [.. list["list"]!.AsArray().Where(f => f!["bindings"]!["task"]!["attached"]!.GetValue<bool>()).Select(f => (JsonNode)FileWrapper(f!))];

    /// <summary>ONLYOFFICE's FileWrapper of a canonical file view.</summary>
    private static JsonObject FileWrapper(JsonNode file)
    {
        var name = file["name"]?.GetValue<string>() ?? string.Empty;
        var size = file["size"]!.GetValue<long>();
        return new JsonObject
        {
            ["id"] = file["id"]!.GetValue<long>(),
            ["title"] = name,
            ["fileExst"] = Path.GetExtension(name),
            ["pureContentLength"] = size,
            ["contentLength"] = Readable(size),
            ["created"] = CanonicalAnswer.Iso(file["created"]),
            ["updated"] = CanonicalAnswer.Iso(file["uploaded"] ?? file["created"]),
            ["viewUrl"] = file["download_url"]?.DeepClone(),
            ["folderId"] = file["bindings"]?["task"]?["task_id"]?.DeepClone(), // The task is the folder (its upload's).
        };
    }

    private static string Readable(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB"),
    };

    /// <summary>A canonical error as ONLYOFFICE's: 401 (key), 403 (right), 404 (not found or another user's), 413 (too large), 429, 5xx for storage, 400 otherwise.</summary>
    private static CanonicalAnswer Check(CanonicalAnswer answer) => answer.Success ? answer : throw new OnlyOfficeError(StatusOf((ErrorCode)answer.Code), answer.Description);

    private static int StatusOf(ErrorCode code) => code switch
    {
        ErrorCode.WrongHash or ErrorCode.KeyNotFound => StatusCodes.Status401Unauthorized,
        ErrorCode.AccessDenied => StatusCodes.Status403Forbidden,
        ErrorCode.NotFound => StatusCodes.Status404NotFound,
        ErrorCode.FileTooLarge or ErrorCode.RequestTooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorCode.TooManyRequests => StatusCodes.Status429TooManyRequests,
        ErrorCode.StorageUnavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorCode.StorageError or ErrorCode.UnexpectedError => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status400BadRequest,
    };

    private static JsonObject Success(JsonNode response, int count) =>
        new() { ["count"] = count, ["response"] = response, ["status"] = 0, ["statusCode"] = StatusCodes.Status200OK };

    private static JsonObject Error(int statusCode, string message) =>
        new() { ["error"] = new JsonObject { ["message"] = message }, ["status"] = 1, ["statusCode"] = statusCode };

    private sealed class OnlyOfficeError(int statusCode, string message) : Exception(message)
    {
        public int StatusCode { get; } = statusCode;
    }
}
