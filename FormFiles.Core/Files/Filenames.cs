namespace FormFiles.Files;

/// <summary>
/// A file's display name (it goes into rows, views and the Content-Disposition of downloads, never into
/// a blob path): 1 to 255 characters, no path separators, no control characters, and no bidirectional
/// controls, which would make <c>invoice‮fdp.exe</c> read as <c>invoiceexe.pdf</c>.
/// </summary>
public static class Filenames
{
    public const int MaxLength = 255;

    public const string Rule = "must be 1 to 255 characters, without control characters, bidirectional controls or slashes";

    public static bool IsValid(string name) =>
        name.Length is > 0 and <= MaxLength && !name.Any(c => char.IsControl(c) || IsBidiControl(c) || c is '/' or '\\');

    /// <summary>The lowercase extension after the last dot, or null without one.</summary>
    public static string? Extension(string? name)
    {
        var dot = name?.LastIndexOf('.') ?? -1;
        return dot < 0 ? null : name![(dot + 1)..].ToLowerInvariant();
    }

    /// <summary>U+061C, U+200E–U+200F, U+202A–U+202E and U+2066–U+2069: the marks, embeddings, overrides and isolates of Unicode's bidi algorithm.</summary>
    private static bool IsBidiControl(char c) => c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
