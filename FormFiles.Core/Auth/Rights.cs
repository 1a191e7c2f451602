namespace FormFiles.Auth;

/// <summary>What an API key may do. Reads need <see cref="TaskView"/> or <see cref="TaskUpdate"/>; writes need <see cref="TaskUpdate"/>.</summary>
public static class Rights
{
    public const string TaskView = "task_view";
    public const string TaskUpdate = "task_update";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal) { TaskView, TaskUpdate };
}

/// <summary>Whether an action reads or writes, which decides the right it needs.</summary>
public enum Access
{
    Read,
    Write,
}

/// <summary>
/// The authenticated user behind an API key: its rights, the key's first eight characters (how usage
/// names a key), the user's own rate limit, where an admin set one, and the time zone of its dates.
/// </summary>
public sealed record Caller(long UserId, IReadOnlySet<string> Rights, string KeyPrefix, RateOverride Rate, TimeZoneInfo Zone)
{
    public bool May(Access access) => access == Access.Read
        ? Rights.Contains(FormFiles.Auth.Rights.TaskView) || Rights.Contains(FormFiles.Auth.Rights.TaskUpdate)
        : Rights.Contains(FormFiles.Auth.Rights.TaskUpdate);
}

/// <summary>A user's own rate limit (<c>admin/user/update</c>); null parts follow the configuration.</summary>
public readonly record struct RateOverride(int? PermitsPerSecond, int? Burst);
