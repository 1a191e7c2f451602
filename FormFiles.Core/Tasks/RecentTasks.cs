using System.Collections.Concurrent;

namespace FormFiles.Tasks;

/// <summary>
/// The task rows this instance last read or wrote, with their ETags, so that reserving several
/// files on one task reads the task row once. Safe because every write made from a remembered row
/// is conditional on its ETag: a stale row costs a 412 and a fresh read, never a wrong answer; and an
/// error found on a remembered row is confirmed on a fresh one before it is answered.
/// </summary>
public sealed class RecentTasks
{
    private const int Capacity = 10_000;

    private readonly ConcurrentDictionary<long, TaskEntity> rows = new();

    public TaskEntity? Get(long userId, long taskId) =>
        rows.TryGetValue(taskId, out var row) && row.UserId == userId ? row.Clone() : null;

    public void Remember(TaskEntity task)
    {
        if (rows.Count >= Capacity)
            rows.Clear();
        rows[task.Id] = task.Clone();
    }
}
