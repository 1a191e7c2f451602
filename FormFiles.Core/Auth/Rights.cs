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

/// <summary>The authenticated user behind an API key.</summary>
public sealed record Caller(long UserId, IReadOnlySet<string> Rights)
{
    public bool May(Access access) => access == Access.Read
        ? Rights.Contains(FormFiles.Auth.Rights.TaskView) || Rights.Contains(FormFiles.Auth.Rights.TaskUpdate)
        : Rights.Contains(FormFiles.Auth.Rights.TaskUpdate);
}
