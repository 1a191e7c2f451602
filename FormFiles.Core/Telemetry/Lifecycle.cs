using System.Diagnostics;

namespace FormFiles.Telemetry;

/// <summary>
/// Traces and log scopes of the lifecycle: one activity (source <c>FormFiles</c>) per API call, completion,
/// sweep pass and webhook delivery, tagged with the ids known, and logging scopes that put the user, task
/// and file ids beside every line (ids only: never a key, token, secret or SAS).
/// </summary>
public static class Lifecycle
{
    public const string SourceName = FormFilesMetrics.MeterName;
    public const string UserTag = "formfiles.user_id";
    public const string TaskTag = "formfiles.task_id";
    public const string FileTag = "formfiles.file_id";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts the activity of a unit of work (null when nobody listens), with the ids known so far.</summary>
    public static Activity? Start(string name, long? userId = null, long? taskId = null, long? fileId = null, ActivityKind kind = ActivityKind.Internal)
    {
        var activity = Source.StartActivity(name, kind);
        Tag(activity, userId, taskId, fileId);
        return activity;
    }

    /// <summary>Adds the ids that became known to the current activity (the API call's, when a reservation learns its file id).</summary>
    public static void Tag(long? userId, long? taskId, long? fileId) => Tag(Activity.Current?.Source == Source ? Activity.Current : null, userId, taskId, fileId);

    /// <summary>A logging scope with the ids known (none: no scope).</summary>
    public static IDisposable? Scope(ILogger logger, long? userId, long? taskId = null, long? fileId = null)
    {
        var ids = new List<KeyValuePair<string, object>>(3);
        if (userId is { } user)
            ids.Add(new("UserId", user));
        if (taskId is { } task)
            ids.Add(new("TaskId", task));
        if (fileId is { } file)
            ids.Add(new("FileId", file));
        return ids.Count == 0 ? null : logger.BeginScope(ids);
    }

    private static void Tag(Activity? activity, long? userId, long? taskId, long? fileId)
    {
        if (activity is null)
            return;
        if (userId is { } user)
            activity.SetTag(UserTag, user);
        if (taskId is { } task)
            activity.SetTag(TaskTag, task);
        if (fileId is { } file)
            activity.SetTag(FileTag, file);
    }
}
