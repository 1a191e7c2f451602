using System.Globalization;
using System.Text.Json.Nodes;
using FormFiles.Api;
using FormFiles.Files;
using Microsoft.Net.Http.Headers;

namespace FormFiles.Dialects.OnlyOffice;

/// <summary>
/// ONLYOFFICE's document upload, <c>POST /api/2.0/files/{folderId}/upload</c>, over the reservation core: a folder is a task,
/// and a file uploaded into it is an (unattached) attachment of that task, ready for <c>POST …/project/task/{taskid}/files</c>.
/// Both of ONLYOFFICE's ways are read: multipart/form-data (the file part, <c>file</c> or any part with a filename) and the
/// single-file upload (the body is the file; its name in <c>Content-Disposition</c>). The reservation is
/// <c>task/file/create</c> (metered), for the body's length when it is known (the file is no larger) and the service's most
/// otherwise (completion settles the quota to the real size); the bytes stream into it and it is completed. Anything short of an accepted upload
/// keeps nothing.
/// </summary>
public sealed partial class OnlyOfficeEndpoints
{
    public const string UploadRoute = "/api/2.0/files/{folderid}/upload";

    public const string UploadJsonRoute = UploadRoute + ".json";

    /// <param name="folderId">The route's <c>{folderid}</c>, as both hosts bind it.</param>
    public Task HandleUploadAsync(HttpContext context, string? folderId) => AnswerAsync(context, () => UploadAsync(context, folderId));

    private async Task<(int, JsonObject)> UploadAsync(HttpContext context, string? route)
    {
        var request = context.Request;
        var key = CanonicalAnswer.Key(request, bearerOnly: false) ?? throw new OnlyOfficeError(StatusCodes.Status401Unauthorized, "No API key: send it in Authorization");
        if (!long.TryParse(route, NumberStyles.None, CultureInfo.InvariantCulture, out var taskId))
            throw new OnlyOfficeError(StatusCodes.Status404NotFound, "No such folder: a folder is a task id");

        if (!HttpMethods.IsPost(request.Method))
            throw new OnlyOfficeError(StatusCodes.Status405MethodNotAllowed, "An upload is a POST"); // An OPTIONS that is no CORS preflight.

        // The most a file can be: the service's limit, or less when the whole body is known to be smaller.
        var most = Math.Min(reservations.MaxSize(Attachments.Field), Math.Max(1, request.ContentLength ?? long.MaxValue));
        JsonNode file;
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            var answer = await uploads.ReadAsync(request, "file", (_, part) => UploadPartAsync(context, key, taskId, part, most), context.RequestAborted);
            file = JsonNode.Parse(answer.Body)!;
        }
        else if (request.ContentLength == 0)
        {
            throw new OnlyOfficeError(StatusCodes.Status400BadRequest, "The body is empty: a single-file upload's body is the file");
        }
        else
        {
            var name = ContentDispositionHeaderValue.TryParse(request.Headers.ContentDisposition.ToString(), out var disposition)
                ? HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value
                : null;
            file = JsonNode.Parse((await UploadPartAsync(context, key, taskId, new FilePart("file", request.Body, name), most)).Body)!;
        }

        return (StatusCodes.Status200OK, Success(FileWrapper(file), 1));
    }

    /// <summary>The reservation on the task, the part streamed into it and completed: the file's canonical view, as an answer.</summary>
    private async Task<ApiAnswer> UploadPartAsync(HttpContext context, string key, long taskId, FilePart part, long size)
    {
        var (created, _) = await dispatcher.CallAsync(context, "task/file/create", ApiParameters.Of(new JsonObject { ["hash"] = key, ["task_id"] = taskId, ["size"] = size }));
        var value = Check(CanonicalAnswer.Of(created)).Body["value"]!;
        var fileId = value["file_id"]!.GetValue<long>();
        try
        {
            var uploaded = Check(CanonicalAnswer.Of(await uploads.UploadAsync(value["fields"]!["token"]!.GetValue<string>(), part, context.RequestAborted)));
            return new ApiAnswer(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(uploaded.Body["value"]), StatusCodes.Status200OK);
        }
        catch
        {
            // Nothing is kept, even when the client went away mid-stream.
            var undone = CanonicalAnswer.Of(await dispatcher.ReadAsync(context, "task/form/file/delete", ApiParameters.Of(new JsonObject { ["hash"] = key, ["file_id"] = fileId }), CancellationToken.None));
            if (!undone.Success)
                NotUndone(logger, fileId, undone.Code);
            throw;
        }
    }

    [LoggerMessage(EventId = 2710, Level = LogLevel.Warning, Message = "A refused ONLYOFFICE upload's reservation {FileId} could not be deleted (code {Code}); the sweep removes it at its expiry")]
    private static partial void NotUndone(ILogger logger, long fileId, int code);
}
