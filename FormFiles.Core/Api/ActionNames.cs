namespace FormFiles.Api;

/// <summary>The paths Navixy serves an action under besides its own name.</summary>
public static class ActionNames
{
    /// <summary>Navixy's field service prefix: <c>/v2/fsm/task/…</c> is <c>/v2/task/…</c>.</summary>
    private const string FieldService = "fsm/";

    /// <summary>
    /// The action that <paramref name="path"/> names: without the <c>fsm/</c> prefix of a task action, and
    /// <c>task/form/file</c> (the path Navixy's documentation and seed 001 post a reservation to) as
    /// <c>task/form/file/create</c>.
    /// </summary>
    public static string Canonical(string path)
    {
        if (path.StartsWith(FieldService, StringComparison.OrdinalIgnoreCase) && path.AsSpan(FieldService.Length).StartsWith("task/", StringComparison.OrdinalIgnoreCase))
            path = path[FieldService.Length..];
        return string.Equals(path, "task/form/file", StringComparison.OrdinalIgnoreCase) ? "task/form/file/create" : path;
    }
}
