using System.Text.RegularExpressions;
using FormFiles.Api;

namespace FormFiles.Admin;

/// <summary>A user's time zone: an IANA name (<c>Europe/Berlin</c>), UTC when none is set.</summary>
internal static partial class TimeZones
{
    /// <summary>The zone a stored name names; UTC for none (or one this machine no longer knows).</summary>
    public static TimeZoneInfo Of(string? name) =>
        name is not null && TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>The request's <paramref name="parameter"/> as a known IANA name, or 7.</summary>
    public static string Check(string name, string parameter) =>
        // A known IANA name has a Windows equivalent; the system's own files (localtime, posixrules, right/…) have none.
        Name().IsMatch(name) && TimeZoneInfo.TryConvertIanaIdToWindowsId(name, out _) && TimeZoneInfo.TryFindSystemTimeZoneById(name, out _)
            ? name
            : throw ApiException.InvalidParameter(parameter, "must be an IANA time zone name, such as Europe/Berlin or UTC");

    // What IANA names are made of; nothing else reaches the system's zone lookup (it reads files by name).
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")]
    private static partial Regex Name();
}
