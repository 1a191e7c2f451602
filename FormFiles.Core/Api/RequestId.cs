using System.Diagnostics;

namespace FormFiles.Api;

/// <summary>
/// The correlation id of one call: the caller's <c>X-Request-Id</c> when it is a sane token,
/// otherwise the trace id (so that logs and Application Insights agree), otherwise a new id.
/// </summary>
public static class RequestId
{
    public const string Header = "X-Request-Id";
    private const int MaxLength = 64;

    public static string Assign(HttpContext context)
    {
        var incoming = context.Request.Headers[Header].ToString();
        var id = IsSane(incoming)
            ? incoming
            : Activity.Current?.TraceId.ToHexString() ?? Guid.NewGuid().ToString("N");
        context.Response.Headers[Header] = id;
        return id;
    }

    /// <summary>The id <see cref="Assign"/> gave this call.</summary>
    public static string Of(HttpContext context) => context.Response.Headers[Header].ToString();

    private static bool IsSane(string value) =>
        value.Length is > 0 and <= MaxLength
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}
