namespace FormFiles.Tasks;

/// <summary>Navixy's task statuses; <c>task/status/change</c> moves a task between any of them.</summary>
public static class TaskStatuses
{
    public const string Unassigned = "unassigned";
    public const string Assigned = "assigned";
    public const string Arrived = "arrived";
    public const string Done = "done";
    public const string Failed = "failed";
    public const string Delayed = "delayed";
    public const string Faulty = "faulty";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Unassigned, Assigned, Arrived, Done, Failed, Delayed, Faulty,
    };

    /// <summary>The states in which a task's form and files may change (255 otherwise).</summary>
    public static bool AllowsFormChanges(string status) => status is Unassigned or Assigned or Arrived;
}
