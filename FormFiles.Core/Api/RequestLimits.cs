using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FormFiles.Api;

/// <summary>
/// The web server's own limits, which answer before any of the service's code runs, so no envelope can be
/// written there. The request line (method, path and query string) may be up to
/// <see cref="MaxRequestLineBytes"/>, eight times Kestrel's default, so that a GET carries any parameters a
/// POST does (a form's values in its query); a longer one is refused by Kestrel with HTTP 414 and no body.
/// Headers stay at Kestrel's default (32 KiB in all, else 431). Both hosts run Kestrel: the DevHost, and the
/// Functions worker behind the platform's front end, whose own URL limits are lower (docs/api.md).
/// </summary>
public static class RequestLimits
{
    public const int MaxRequestLineBytes = 64 * 1024;

    internal static void Configure(KestrelServerOptions kestrel) => kestrel.Limits.MaxRequestLineSize = MaxRequestLineBytes;
}
