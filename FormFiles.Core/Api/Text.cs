namespace FormFiles.Api;

/// <summary>Rules for user-supplied text: trimmed, printable, bounded in length.</summary>
public static class Text
{
    /// <summary>A required label: 1 to <paramref name="max"/> printable characters.</summary>
    public static string Label(string value, string name, int max) =>
        Optional(value, name, max) is { Length: > 0 } text ? text : throw ApiException.InvalidParameter(name, $"must be 1 to {max} printable characters");

    /// <summary>Optional text: at most <paramref name="max"/> characters, no control characters except line breaks and tabs.</summary>
    public static string? Optional(string? value, string name, int max)
    {
        if (value is null)
            return null;
        var text = value.Trim();
        if (text.Length > max || text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            throw ApiException.InvalidParameter(name, $"must be at most {max} printable characters");
        return text;
    }
}
