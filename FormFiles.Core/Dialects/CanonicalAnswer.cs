using System.Text.Json.Nodes;
using FormFiles.Api;

namespace FormFiles.Dialects;

/// <summary>A canonical (Navixy) answer as a dialect reads it: success, or the error's code and description.</summary>
internal sealed record CanonicalAnswer(JsonObject Body, int Code, string Description)
{
    public bool Success => Code == 0;

    public static CanonicalAnswer Of(ApiAnswer answer)
    {
        var body = JsonNode.Parse(answer.Body)!.AsObject();
        return body["success"]!.GetValue<bool>()
            ? new CanonicalAnswer(body, 0, string.Empty)
            : new CanonicalAnswer(body, body["status"]!["code"]!.GetValue<int>(), body["status"]!["description"]!.GetValue<string>());
    }

    /// <summary>A Navixy date (<c>yyyy-MM-dd HH:mm:ss</c>, UTC) as ISO 8601.</summary>
    public static string? Iso(JsonNode? date) =>
        date is not null && ApiDate.TryParse(date.GetValue<string>(), out var value) ? value.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>The key of <c>Authorization: [Bearer ]&lt;key&gt;</c>, or null.</summary>
    public static string? Key(HttpRequest request, bool bearerOnly)
    {
        var header = request.Headers.Authorization.ToString().Trim();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return header[7..].Trim();
        return bearerOnly || header.Length == 0 ? null : header;
    }
}

/// <summary>How a dialect writes its answer: its JSON (camelCase names as given, readable text), <c>Retry-After</c> on a 503.</summary>
internal static class DialectResponse
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Task WriteAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
            context.Response.Headers.RetryAfter = ((int)Storage.StorageFaults.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return context.Response.WriteAsJsonAsync(body, Json, context.RequestAborted);
    }
}
