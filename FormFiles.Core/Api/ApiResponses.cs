using System.Text.Json;
using System.Text.Json.Serialization;
using FormFiles.Storage;

namespace FormFiles.Api;

/// <summary>Base of every successful action response: <c>{"success": true, ...fields}</c>.</summary>
public abstract record ApiResponse
{
    [JsonPropertyOrder(-1)]
    public bool Success => true;
}

/// <summary>The Navixy error envelope: <c>{"success": false, "status": {"code", "description"}}</c>.</summary>
public record ErrorResponse(ErrorStatus Status)
{
    [JsonPropertyOrder(-1)]
    public bool Success => false;

    /// <summary>Only with 242: every field that failed validation.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<FieldError>? Errors { get; init; }
}

public sealed record ErrorStatus(int Code, string Description);

/// <summary>A redirect's body: <c>{"success": true, "url": …}</c>.</summary>
public sealed record RedirectResponse(Uri Url) : ApiResponse;

/// <summary>
/// Turns responses into <see cref="ApiAnswer"/>s with the right HTTP status. The body is serialized here,
/// inside the dispatcher's error handling: a value that cannot be written fails before a byte is sent.
/// </summary>
public static class ApiResults
{
    public static ApiAnswer Ok(ApiResponse response) => Json(response, StatusCodes.Status200OK);

    public static ApiAnswer Error(ErrorCode code, string? description = null, IReadOnlyList<FieldError>? errors = null) =>
        Error(code, new ErrorResponse(new ErrorStatus((int)code, description ?? code.Description())) { Errors = errors });

    /// <summary>An error envelope that carries more than the status (for example, health's storage report).</summary>
    public static ApiAnswer Error(ErrorCode code, ErrorResponse response) => Json(response, code.HttpStatus(), (int)code);

    /// <summary>302 to <paramref name="location"/>, its envelope naming it too.</summary>
    public static ApiAnswer Redirect(Uri location) =>
        new(JsonSerializer.SerializeToUtf8Bytes(new RedirectResponse(location), ApiJson.Answers), StatusCodes.Status302Found, 0) { Location = location };

    private static ApiAnswer Json(object response, int status, int code = 0) =>
        new(JsonSerializer.SerializeToUtf8Bytes(response, ApiJson.Answers), status, code);
}

/// <summary>One answer of the API, serialized: what is sent, and what an Idempotency-Key keeps to send again.</summary>
/// <param name="code">The Navixy code when the maker knows it; else read from the body when asked (a replayed answer).</param>
public sealed class ApiAnswer(byte[] body, int status, int? code = null) : IResult
{
    public const string JsonContentType = "application/json; charset=utf-8";

    public byte[] Body => body;

    /// <summary>Where a redirect goes.</summary>
    public Uri? Location { get; init; }

    public int Status => status;

    /// <summary>The Navixy status code: 0 for a success, else the error envelope's <c>status.code</c>.</summary>
    public int Code => code ?? (status < 300 ? 0 : ReadCode(body));

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
            httpContext.Response.Headers.RetryAfter = ((int)StorageFaults.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Location is not null)
            httpContext.Response.Headers.Location = Location.AbsoluteUri;
        httpContext.Response.ContentType = JsonContentType;
        httpContext.Response.ContentLength = body.Length;
        return httpContext.Response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }

    private static int ReadCode(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("status", out var error) && error.ValueKind == JsonValueKind.Object
                   && error.TryGetProperty("code", out var code) && code.TryGetInt32(out var value) ? value : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }
}
