using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Files;
using FormFiles.Storage;
using FormFiles.Templates;

namespace FormFiles.Dialects.Tallyfy;

/// <summary>
/// Tallyfy's files and task data, <c>/organizations/{org_id}/…</c>, as translations of canonical actions.
/// The organization is the key's user. The one-call upload reserves on the field (its maximum, settled
/// to the real size by completion), streams the file part into the reservation and completes it;
/// <c>PUT …/runs/{run}/tasks/{task}</c> merges the named file fields into the form's values
/// (<c>task/form/values/merge</c>: a submission the first time, an update after).
/// </summary>
public sealed partial class TallyfyEndpoints(ApiDispatcher dispatcher, ServedRequest served, CrossOrigin crossOrigin, ApiKeys keys, Calls.KeyedCalls keyedCalls, Reservations reservations, MultipartUploads uploads, FileBlobs blobs, KickoffTasks kickoffs, Submissions.FormSubmission submissions, ILogger<TallyfyEndpoints> logger)
{
    public const string Route = "/organizations/{**rest}";

    /// <summary>Tallyfy's own URLs carry <c>/api</c> before the organizations (<c>https://go.tallyfy.com/api/organizations/…</c>): served alike.</summary>
    public const string ApiRoute = "/api" + Route;
    private const string Run = "Run";
    private const string Checklist = "Checklist";

    /// <param name="rest">The path after <c>/organizations/</c>, as both hosts bind it.</param>
    public async Task HandleAsync(HttpContext context, string? rest)
    {
        using var entry = served.Begin(context);
        if (crossOrigin.Answer(context))
            return;
        int status;
        JsonNode body;
        try
        {
            (status, body) = await RouteAsync(context, (rest ?? string.Empty).Split('/'));
            if (status == Answered)
                return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (TallyfyError e)
        {
            (status, body) = (e.StatusCode, Error(e.Message, e.Code, e.Errors));
        }
        catch (ApiException e)
        {
            (status, body) = (StatusOf(e.Code), Error(e.Message, (int)e.Code, e.Errors is null ? null : JsonSerializer.SerializeToNode(e.Errors, ApiJson.Options)!.AsArray()));
        }
        catch (Exception e) when (StorageFaults.IsUnavailable(e) && !context.Response.HasStarted)
        {
            (status, body) = (StatusCodes.Status503ServiceUnavailable, Error($"Database unavailable, try again later (request {RequestId.Of(context)})", (int)ErrorCode.StorageUnavailable, null));
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            ApiLog.UnhandledError(logger, e, "tallyfy", RequestId.Of(context));
            (status, body) = (StatusCodes.Status500InternalServerError, Error($"Unexpected error (request {RequestId.Of(context)})", (int)ErrorCode.UnexpectedError, null));
        }

        await DialectResponse.WriteAsync(context, status, body);
    }

    private async Task<(int, JsonNode)> RouteAsync(HttpContext context, string[] path)
    {
        var request = context.Request;
        var hash = CanonicalAnswer.Key(request, bearerOnly: true);
        if (hash is null || !ApiParameters.IsWellFormedHash(hash))
            throw new TallyfyError(StatusCodes.Status401Unauthorized, (int)ErrorCode.WrongHash, "Unauthenticated: send Authorization: Bearer <api key>");
        if (keyedCalls.Admit(context, hash) is { } refused) // Before the key's lookup and every read the route makes.
            Check(refused);
        var caller = await keys.IdentifyAsync(hash, context.RequestAborted);
        if (!long.TryParse(path[0], NumberStyles.None, CultureInfo.InvariantCulture, out var org) || org != caller.UserId)
            throw NotFound("No such organization");
        var api = new Call(context, hash, org);

        return (request.Method, path[1..]) switch
        {
            ("POST", ["file"]) when !caller.May(Access.Write) => throw new TallyfyError(StatusCodes.Status403Forbidden, (int)ErrorCode.AccessDenied, "Access denied: uploading needs the task_update right"), // Before a byte is read or staged.
            ("POST", ["file"]) => (StatusCodes.Status200OK, new JsonObject { ["data"] = new JsonArray(await UploadAsync(api)) }),
            ("GET", ["file", var asset]) => (await SendFileAsync(api, FileId(asset), attachment: false), new JsonObject()),
            ("GET", ["file", var asset, "dl"]) => (await SendFileAsync(api, FileId(asset), attachment: true), new JsonObject()),
            ("GET", ["assets", var asset]) => (StatusCodes.Status200OK, new JsonObject { ["data"] = await AssetAsync(api, FileId(asset)) }),
            ("DELETE", ["file" or "assets", var asset]) => (StatusCodes.Status200OK, await DeleteAsync(api, FileId(asset))),
            ("PUT", ["runs", var run, "tasks", var task]) => (StatusCodes.Status200OK, new JsonObject { ["data"] = await TaskDataAsync(api, run, task) }),
            ("GET", ["checklists", var checklist]) => (StatusCodes.Status200OK, new JsonObject { ["data"] = await ChecklistAsync(api, checklist, update: false) }),
            ("PUT", ["checklists", _]) when !caller.May(Access.Write) => throw new TallyfyError(StatusCodes.Status403Forbidden, (int)ErrorCode.AccessDenied, "Access denied: a kick-off form's update needs the task_update right"), // Before a kick-off task is made.
            ("PUT", ["checklists", var checklist]) => (StatusCodes.Status200OK, new JsonObject { ["data"] = await ChecklistAsync(api, checklist, update: true) }),
            _ => throw NotFound("No such route"),
        };
    }

    /// <summary>
    /// <c>POST /file</c>: reserve on the field, stream, complete; anything short of an accepted upload keeps nothing. The
    /// fields may come in any order: a file part before <c>uploaded_from</c>, <c>subject_type</c> and <c>subject_id</c> (the
    /// seed's own order) is staged until they come, then reserved at its size and streamed from there. A run's field
    /// (<c>subject_type=Run</c>) or a kick-off field (<c>Checklist</c>, <see cref="KickoffFieldAsync"/>).
    /// </summary>
    private Task<JsonObject> UploadAsync(Call api) =>
        UploadedAsync(uploads.ReadAsync(api.Context.Request, "name", async (fields, part) =>
        {
            if (fields.GetValueOrDefault("source", "local") != "local")
                throw Invalid("source must be local");
            var subject = Field(fields, "subject_id");
            var (type, taskId, form, fieldId) = fields.GetValueOrDefault("subject_type", Run) switch
            {
                Run => await RunFieldAsync(api, fields, subject),
                Checklist => await KickoffFieldAsync(api, fields, subject),
                _ => throw Invalid("subject_type must be Run (a task's form field) or Checklist (a kick-off field)"),
            };
            var asset = await UploadToFieldAsync(api, taskId, form, fieldId, part);
            asset["step_id"] = type == Run ? fields.GetValueOrDefault("step_id") : null;
            asset["uploaded_from"] = fields["uploaded_from"];
            return new ApiAnswer(JsonSerializer.SerializeToUtf8Bytes(Subject(asset, subject, type)), StatusCodes.Status200OK); // As the client holds it (an id, or the task's external_id).
        }, api.Context.RequestAborted, ready: fields => fields.ContainsKey("uploaded_from") && fields.ContainsKey("subject_id") && fields.ContainsKey("subject_type")));

    /// <summary>A run's form field: <c>uploaded_from</c> is its capture id; a <c>checklist_id</c> must be the form's template.</summary>
    private async Task<(string, long, JsonObject, string)> RunFieldAsync(Call api, IReadOnlyDictionary<string, string> fields, string run)
    {
        var fieldId = Field(fields, "uploaded_from");
        var taskId = await RunAsync(api, run);
        var form = await FormAsync(api, taskId);
        if (fields.GetValueOrDefault("checklist_id") is { } checklist && checklist != form["template_id"]?.ToJsonString())
            throw Invalid("checklist_id must be the template of the run's form");
        return (Run, taskId, form, fieldId);
    }

    /// <summary>
    /// The reservation on the form's field, the part streamed into it and completed: the asset. A staged file (it came before
    /// the fields) reserves its own size; a streaming one the field's most, settled by completion. Any failure deletes the
    /// reservation, even when the client went away mid-stream.
    /// </summary>
    private async Task<JsonObject> UploadToFieldAsync(Call api, long taskId, JsonObject form, string fieldId, FilePart part)
    {
        var field = form["fields"]!.AsArray().Select(f => f.Deserialize<FormField>(ApiJson.Options)!).FirstOrDefault(f => f.Id == fieldId);
        var (created, _) = await dispatcher.CallAsync(api.Context, "task/form/file/create", ApiParameters.Of(api.Parameters(new()
        {
            ["task_id"] = taskId, ["field_id"] = fieldId, ["size"] = part.StagedLength is { } staged ? Math.Max(1, staged) : field is null ? 1 : reservations.MaxSize(field),
        })));
        var value = Check(created).Body["value"]!;
        var fileId = value["file_id"]!.GetValue<long>();
        try
        {
            var uploaded = await uploads.UploadAsync(value["fields"]!["token"]!.GetValue<string>(), part, api.Context.RequestAborted);
            return Asset(api, Check(uploaded).Body["value"]!);
        }
        catch
        {
            var undone = CanonicalAnswer.Of(await dispatcher.ReadAsync(api.Context, "task/form/file/delete", ApiParameters.Of(api.Parameters(new() { ["file_id"] = fileId })), CancellationToken.None));
            if (!undone.Success)
                NotUndone(logger, fileId, undone.Code);
            throw;
        }
    }

    /// <summary>The asset the upload answered with (its errors were thrown as they came).</summary>
    private static async Task<JsonObject> UploadedAsync(Task<ApiAnswer> upload) =>
        JsonNode.Parse((await upload).Body)!.AsObject();

    /// <summary>
    /// <c>PUT /runs/{run}/tasks/{task}</c>: the named fields of <c>taskdata</c>, files and the other kinds alike, merged into the
    /// form's values and committed. The run is a FormFiles task (<see cref="RunAsync"/>); its Tallyfy tasks are steps of its one
    /// form, so any task id of the run addresses it (capture ids, the field ids, are unique in a run). The task's own properties beside it (<c>summary</c>, <c>deadline</c>, <c>title</c>) are
    /// accepted and left alone: a FormFiles task's label and dates are its Navixy API's.
    /// </summary>
    private async Task<JsonObject> TaskDataAsync(Call api, string run, string task)
    {
        var taskId = await RunAsync(api, run);
        var taskData = await BodyAsync(api, body => body.RequiredObject("taskdata"));
        var (_, shown) = await MergeAsync(api, taskId, taskData.EnumerateObject().Select(e => (e.Name, e.Value)), "The run's form", "taskdata", asset => Subject(asset, run, Run));
        var info = Check(await dispatcher.ReadAsync(api.Context, "task/read", ApiParameters.Of(api.Parameters(new() { ["task_id"] = taskId })))).Body["value"]!;
        return new JsonObject
        {
            ["id"] = task,
            ["run_id"] = run,
            ["title"] = info["label"]?.DeepClone(),
            ["status"] = info["status"]?.DeepClone(),
            ["taskdata"] = shown,
        };
    }

    /// <summary>The body's JSON parameters, one of them read by <paramref name="read"/>; a body that cannot be read is 400.</summary>
    private static async Task<JsonElement> BodyAsync(Call api, Func<ApiParameters, JsonElement> read)
    {
        try
        {
            return read(await ApiParameters.ReadAsync(api.Context.Request, readBody: true, api.Context.RequestAborted));
        }
        catch (BadHttpRequestException e)
        {
            throw new TallyfyError(StatusCodes.Status400BadRequest, (int)ErrorCode.WrongRequestFormat, $"The body could not be read: {e.Message}");
        }
    }

    /// <summary>
    /// The named fields' values (<see cref="TaskDataValues"/>: assets, texts, dates, stars, choices, checkboxes) merged into the
    /// task's form and committed (<c>task/form/values/merge</c>: the first time a submission, then an update), or nothing
    /// merged when none is named. Then the form and every value as Tallyfy shows it (files as assets, placed by <paramref name="placed"/>).
    /// </summary>
    private async Task<(JsonObject Form, JsonObject Shown)> MergeAsync(Call api, long taskId, IEnumerable<(string Name, JsonElement Value)> named, string formName, string valueName, Func<JsonObject, JsonObject> placed)
    {
        var form = await FormAsync(api, taskId);
        var fields = Fields(form).ToDictionary(f => f.Id, StringComparer.Ordinal);
        var values = Values(fields, named, formName, valueName);
        if (values.Count > 0)
        {
            var (answer, _) = await dispatcher.CallAsync(api.Context, "task/form/values/merge", ApiParameters.Of(api.Parameters(new() { ["task_id"] = taskId, ["values"] = values })));
            Check(answer);
        }

        var read = Check(await dispatcher.ReadAsync(api.Context, "task/form/read", ApiParameters.Of(api.Parameters(new() { ["task_id"] = taskId })))).Body;
        var files = read["files"]!.AsArray().ToDictionary(f => f!["id"]!.GetValue<long>());
        var shown = new JsonObject();
        foreach (var (fieldId, value) in read["value"]!["values"]?.AsObject() ?? [])
        {
            if (fields.GetValueOrDefault(fieldId) is not { } field)
                continue;
            shown[fieldId] = field.HoldsFiles
                ? new JsonArray([.. BoundIds(value).Where(files.ContainsKey).Select(id => (JsonNode)placed(Asset(api, files[id]!)))])
                : TaskDataValues.Shown(field, value);
        }

        return (read["value"]!.AsObject(), shown);
    }

    /// <summary>The named values in their canonical form: 404 for a field the form does not have, 422 for a value with no reading.</summary>
    private static JsonObject Values(IReadOnlyDictionary<string, FormField> fields, IEnumerable<(string Name, JsonElement Value)> named, string formName, string valueName)
    {
        var values = new JsonObject();
        foreach (var (name, value) in named)
        {
            var field = fields.GetValueOrDefault(name) ?? throw NotFound($"{formName} has no field '{name}'");
            var (canonical, error) = TaskDataValues.Canonical(field, value);
            values[name] = error is null ? canonical : throw Invalid($"{valueName}.{name} {error}");
        }

        return values;
    }

    private static IEnumerable<FormField> Fields(JsonObject form) =>
        form["fields"]!.AsArray().Select(f => f.Deserialize<FormField>(ApiJson.Options)!);

    private async Task<JsonObject> AssetAsync(Call api, long fileId) => Asset(api, await UploadedFileAsync(api, fileId));

    /// <summary>
    /// <c>GET /file/{id}</c> and <c>GET /file/{id}/dl</c>: the accepted bytes themselves, as Tallyfy serves a file's download,
    /// inline or (<c>dl</c>) as an attachment under the file's name; the asset's metadata is <c>GET /assets/{id}</c>.
    /// </summary>
    private async Task<int> SendFileAsync(Call api, long fileId, bool attachment)
    {
        var file = await UploadedFileAsync(api, fileId);
        var blobName = FileBlobs.Name(file["user_id"]!.GetValue<long>(), file["bindings"]!["form_field"]!["task_id"]!.GetValue<long>(), fileId);
        Azure.Storage.Blobs.Models.BlobDownloadStreamingResult download;
        try
        {
            download = (await blobs.Accepted.GetBlobClient(blobName).DownloadStreamingAsync(cancellationToken: api.Context.RequestAborted)).Value;
        }
        catch (Azure.RequestFailedException e) when (e.Status == StatusCodes.Status404NotFound)
        {
            throw NotFound($"No such asset {fileId} (it was deleted meanwhile)"); // Between the read and the download.
        }

        await using var content = download.Content;
        var response = api.Context.Response;
        var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue(attachment ? "attachment" : "inline");
        disposition.SetHttpFileName(file["name"]?.GetValue<string>() ?? fileId.ToString(CultureInfo.InvariantCulture));
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = file["mime_type"]?.GetValue<string>() ?? "application/octet-stream";
        response.ContentLength = download.Details.ContentLength;
        response.Headers.ContentDisposition = disposition.ToString();
        response.Headers.XContentTypeOptions = "nosniff"; // Stored bytes from the API's origin: never sniffed into something else.
        response.Headers.ContentSecurityPolicy = "sandbox";
        try
        {
            await content.CopyToAsync(response.Body, api.Context.RequestAborted);
        }
        catch (Exception e) when (!response.HasStarted)
        {
            // Nothing was sent yet: the error answer goes out instead, without the file's headers.
            response.ContentLength = null;
            response.Headers.ContentDisposition = default;
            if (e is Azure.RequestFailedException { Status: StatusCodes.Status404NotFound or StatusCodes.Status412PreconditionFailed })
                throw NotFound($"No such asset {fileId} (it was deleted meanwhile)"); // The SDK's re-read of a broken body found it gone or replaced.
            throw;
        }

        return Answered; // A fault after the first bytes aborts the connection: the client sees a short body, never a wrong one.
    }

    /// <summary>A route that wrote its answer itself.</summary>
    private const int Answered = 0;

    /// <summary>An asset is an uploaded file of a form field (<c>task/form/file/read</c>, metered); anything else is 404.</summary>
    private async Task<JsonNode> UploadedFileAsync(Call api, long fileId)
    {
        var (answer, _) = await dispatcher.CallAsync(api.Context, "task/form/file/read", ApiParameters.Of(api.Parameters(new() { ["file_id"] = fileId })));
        var file = Check(answer).Body["value"]!;
        return file["bindings"]?["form_field"] is not null && file["download_url"] is not null ? file : throw NotFound($"No such asset {fileId} (a form field's uploaded file)");
    }

    /// <summary><c>DELETE /file/{asset}</c>: as task/form/file/delete; a submitted file is 422 (it is in the task data).</summary>
    private async Task<JsonNode> DeleteAsync(Call api, long fileId)
    {
        var file = Check(await dispatcher.ReadAsync(api.Context, "task/form/file/read", ApiParameters.Of(api.Parameters(new() { ["file_id"] = fileId })))).Body["value"]!;
        if (file["bindings"]?["form_field"] is null)
            throw NotFound($"No such asset {fileId} (a form field's file)");
        var (answer, _) = await dispatcher.CallAsync(api.Context, "task/form/file/delete", ApiParameters.Of(api.Parameters(new() { ["file_id"] = fileId })));
        var result = CanonicalAnswer.Of(answer);
        if (result.Code == (int)ErrorCode.InvalidFileState)
            throw new TallyfyError(StatusCodes.Status422UnprocessableEntity, result.Code, $"Asset {fileId} is in the task data: remove it from taskdata first");
        Check(answer);
        return new JsonObject();
    }

    /// <summary>
    /// The FormFiles task a Tallyfy run id names: its id when the run id is one (digits), else the one task whose
    /// <c>external_id</c> is the run id, as Tallyfy clients hold runs (strings); 404 when none is, 422 when several are.
    /// </summary>
    private async Task<long> RunAsync(Call api, string run)
    {
        if (long.TryParse(run, NumberStyles.None, CultureInfo.InvariantCulture, out var taskId))
            return taskId;
        var found = Check(await dispatcher.ReadAsync(api.Context, "task/list", ApiParameters.Of(api.Parameters(new() { ["external_id"] = run, ["limit"] = 2 })))).Body["list"]!.AsArray();
        return found.Count switch
        {
            1 => found[0]!["id"]!.GetValue<long>(),
            0 => throw NotFound($"No run '{run}': no task has it as its id or external_id"),
            _ => throw Invalid($"Run '{run}' is ambiguous: several tasks have it as their external_id"),
        };
    }

    /// <summary>The run's form (<c>task/form/read</c>'s value); 404 when the run has none.</summary>
    private async Task<JsonObject> FormAsync(Call api, long taskId) =>
        Check(await dispatcher.ReadAsync(api.Context, "task/form/read", ApiParameters.Of(api.Parameters(new() { ["task_id"] = taskId })))).Body["value"] as JsonObject
        ?? throw NotFound($"Run {taskId} has no form");

    /// <summary>Tallyfy's asset of a canonical file view.</summary>
    private static JsonObject Asset(Call api, JsonNode file)
    {
        var id = file["id"]!.GetValue<long>();
        return new JsonObject
        {
            ["id"] = id.ToString(CultureInfo.InvariantCulture),
            ["filename"] = file["name"]?.DeepClone(),
            ["version"] = 1,
            ["step_id"] = null,
            ["uploaded_from"] = file["bindings"]?["form_field"]?["field_id"]?.DeepClone(),
            ["subject"] = new JsonObject { ["id"] = file["bindings"]?["form_field"]?["task_id"]?.GetValue<long>().ToString(CultureInfo.InvariantCulture), ["type"] = Run },
            ["url"] = $"/organizations/{api.Org}/file/{id}/dl",
            ["uploaded_at"] = CanonicalAnswer.Iso(file["uploaded"]),
            ["uploaded_to_s3"] = true,
            ["size"] = file["size"]?.DeepClone(),
            ["mime_type"] = file["mime_type"]?.DeepClone(),
        };
    }

    /// <summary>The asset's subject as the client names it: a run (its id or external_id) or a checklist.</summary>
    private static JsonObject Subject(JsonObject asset, string id, string type)
    {
        asset["subject"] = new JsonObject { ["id"] = id, ["type"] = type };
        return asset;
    }

    private static IEnumerable<long> BoundIds(JsonNode? value) =>
        value?["file_ids"] is JsonArray many ? many.Select(i => i!.GetValue<long>())
        : value?["file_id"] is JsonValue one ? [one.GetValue<long>()]
        : [];

    private static long FileId(string asset) =>
        long.TryParse(asset, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : throw NotFound($"No such asset '{asset}'");

    private static string Field(IReadOnlyDictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var value) && value.Length > 0 ? value : throw Invalid($"{name} is required");

    /// <summary>A canonical answer, or its error in Tallyfy's terms.</summary>
    private static CanonicalAnswer Check(ApiAnswer answer)
    {
        var result = CanonicalAnswer.Of(answer);
        return result.Success ? result
            : throw new TallyfyError(StatusOf((ErrorCode)result.Code), result.Code, result.Description, result.Body["errors"]?.DeepClone().AsArray());
    }

    private static int StatusOf(ErrorCode code) => code switch
    {
        ErrorCode.WrongHash or ErrorCode.KeyNotFound => StatusCodes.Status401Unauthorized,
        ErrorCode.AccessDenied => StatusCodes.Status403Forbidden,
        ErrorCode.NotFound => StatusCodes.Status404NotFound,
        ErrorCode.FileTooLarge or ErrorCode.RequestTooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorCode.TooManyRequests => StatusCodes.Status429TooManyRequests,
        ErrorCode.StorageUnavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorCode.StorageError or ErrorCode.UnexpectedError => StatusCodes.Status500InternalServerError,
        ErrorCode.WrongRequestFormat => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

    private static JsonObject Error(string message, int code, JsonArray? errors) =>
        new() { ["message"] = message, ["code"] = code, ["errors"] = errors ?? [] };

    private static TallyfyError NotFound(string message) => new(StatusCodes.Status404NotFound, (int)ErrorCode.NotFound, message);

    private static TallyfyError Invalid(string message) => new(StatusCodes.Status422UnprocessableEntity, (int)ErrorCode.InvalidParameters, message);

    /// <summary>One dialect request: its context, key and organization.</summary>
    private sealed record Call(HttpContext Context, string Hash, long Org)
    {
        public JsonObject Parameters(JsonObject parameters)
        {
            parameters["hash"] = Hash;
            return parameters;
        }
    }

    private sealed class TallyfyError(int statusCode, int code, string message, JsonArray? errors = null) : Exception(message)
    {
        public int StatusCode { get; } = statusCode;

        public int Code { get; } = code;

        public JsonArray? Errors { get; } = errors;
    }

    [LoggerMessage(EventId = 2700, Level = LogLevel.Warning, Message = "A refused Tallyfy upload's reservation {FileId} could not be deleted (code {Code}); the sweep removes it at its expiry")]
    private static partial void NotUndone(ILogger logger, long fileId, int code);
}
