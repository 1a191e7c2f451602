using System.Globalization;
using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>
/// The index of work not yet settled (table <c>pending</c>): reservations until they complete or
/// expire, deletions until they are finished, task-list changes until their copy is written. PK
/// <c>{shard}-{minute}</c>: one of <see cref="Shards"/> shards by task (so no partition takes every
/// tenant's writes), then the UTC minute the row falls due (<c>yyyyMMddHHmm</c>). RK the file id, or
/// <c>task-{task id}</c> for a task-list announcement. A reservation's row is written before quota is
/// held, so that every one, even one whose admission a crash cut short, is found by the passes that
/// read only the minutes that are due, one query per shard.
/// </summary>
public sealed class PendingEntity : IStampedEntity
{
    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>The operation that last wrote this row (<see cref="StampedWrites"/>).</summary>
    public string? Op { get; set; }

    public long UserId { get; set; }

    public long TaskId { get; set; }

    public long FileId { get; set; }

    public DateTimeOffset Expires { get; set; }

    public const int Shards = 16;
    private const string TaskPrefix = "task-";
    private const string RelayPrefix = "relay-";

    /// <summary>When this row falls due (the minute of its partition).</summary>
    public DateTimeOffset Due => TryGetDue(out var due) ? due : throw new FormatException($"'{PartitionKey}' is not a pending-index partition");

    /// <summary>When this row falls due; false for a partition key of another shape.</summary>
    public bool TryGetDue(out DateTimeOffset due) =>
        DateTimeOffset.TryParseExact(PartitionKey.AsSpan(PartitionKey.IndexOf('-', StringComparison.Ordinal) + 1), "yyyyMMddHHmm", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out due);

    /// <summary>Whether this row announces a task-list change rather than naming a file.</summary>
    public bool IsTask => RowKey.StartsWith(TaskPrefix, StringComparison.Ordinal);

    /// <summary>Whether this row is a reservation's own (RK the file id), not an announcement or a name row of it.</summary>
    public bool IsReservation => !IsTask && !IsRelay && !RowKey.Contains('.', StringComparison.Ordinal);

    /// <summary>Whether this row announces events of a task for the webhook relay.</summary>
    public bool IsRelay => RowKey.StartsWith(RelayPrefix, StringComparison.Ordinal);

    /// <summary>The index row naming <paramref name="file"/>, due at <paramref name="due"/>.</summary>
    public static PendingEntity For(FileEntity file, DateTimeOffset due) => new()
    {
        PartitionKey = Partition(due, file.TaskId),
        RowKey = Storage.Tables.Key(file.Id),
        UserId = file.UserId,
        TaskId = file.TaskId,
        FileId = file.Id,
        Expires = file.Expires,
    };

    /// <summary>The announcement of a change to task <paramref name="taskId"/>'s list copy, due at <paramref name="due"/> (when the sweep repairs it).</summary>
    public static PendingEntity ForTask(long userId, long taskId, DateTimeOffset due) => Announcement(TaskPrefix, userId, taskId, due);

    /// <summary>The announcement that task <paramref name="taskId"/> has events in its outbox, due at <paramref name="due"/> (when the sweep relays them).</summary>
    public static PendingEntity ForRelay(long userId, long taskId, DateTimeOffset due) => Announcement(RelayPrefix, userId, taskId, due);

    private static PendingEntity Announcement(string prefix, long userId, long taskId, DateTimeOffset due) => new()
    {
        PartitionKey = Partition(due, taskId),
        RowKey = prefix + Storage.Tables.Key(taskId),
        UserId = userId,
        TaskId = taskId,
        Expires = due,
    };

    /// <summary>The partition of a row of <paramref name="taskId"/> due at <paramref name="due"/>.</summary>
    public static string Partition(DateTimeOffset due, long taskId) => $"{Shard(taskId):x1}-{Minute(due)}";

    /// <summary>The partition of a file's own row, due when its reservation expires.</summary>
    public static string ExpiryPartition(FileEntity file) => Partition(file.Expires, file.TaskId);

    /// <summary>
    /// The row that keeps a deleted file's upload name (its tombstone) until its SAS has expired, due then: a row of
    /// its own, so that a completion settling the reservation's expiry row at the same time cannot take it away.
    /// </summary>
    public static PendingEntity ForName(FileEntity file) => Name(file.UserId, file.TaskId, file.Id, file.Expires);

    /// <summary>The name row of the file another index row names (a file whose row went with its task).</summary>
    public static PendingEntity ForName(PendingEntity other) => Name(other.UserId, other.TaskId, other.FileId, other.Expires);

    private static PendingEntity Name(long userId, long taskId, long fileId, DateTimeOffset expires) => new()
    {
        PartitionKey = Partition(expires + FileBlobs.ClockSkew, taskId),
        RowKey = NameRowKey(fileId),
        UserId = userId,
        TaskId = taskId,
        FileId = fileId,
        Expires = expires,
    };

    public static string NamePartition(FileEntity file) => Partition(file.Expires + FileBlobs.ClockSkew, file.TaskId);

    public static string NameRowKey(long fileId) => Storage.Tables.Key(fileId) + ".name";

    /// <summary>Rows of <paramref name="shard"/> due by <paramref name="now"/>.</summary>
    public static string DueFilter(int shard, DateTimeOffset now) =>
        TableClient.CreateQueryFilter($"PartitionKey ge {$"{shard:x1}-"} and PartitionKey le {$"{shard:x1}-{Minute(now)}"}");

    /// <summary>Rows of <paramref name="shard"/> not yet due at <paramref name="now"/>, from <paramref name="after"/> (a partition and row key) on.</summary>
    public static string LiveFilter(int shard, DateTimeOffset now, (string Partition, string Row)? after)
    {
        var end = $"{shard:x1}.";
        var filter = after is { } from
            ? TableClient.CreateQueryFilter($"((PartitionKey eq {from.Partition} and RowKey gt {from.Row}) or PartitionKey gt {from.Partition}) and PartitionKey lt {end}")
            : TableClient.CreateQueryFilter($"PartitionKey gt {$"{shard:x1}-{Minute(now)}"} and PartitionKey lt {end}");
        return filter;
    }

    /// <summary>Fibonacci hashing: neighbouring task ids land in different shards.</summary>
    public static int Shard(long taskId) => (int)((ulong)taskId * 0x9E3779B97F4A7C15UL >> 60);

    private static string Minute(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);
}
