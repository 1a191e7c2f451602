using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>
/// One operation's announcement of the files it is about to delete: pending-index rows keyed by the file
/// and this operation, so that finishing or withdrawing it touches no other operation's row, even one of
/// the same file in the same minute. The rows fall due <see cref="Grace"/> after the operation began (in
/// the pending index's minute, which the sweep may read from its first second), and the operation commits a
/// deletion only until <see cref="CommitMargin"/> before that minute (<see cref="ThrowIfLate"/>, checked right
/// before each commit). The margin outlasts the storage SDK's retries of one request (4 tries of up to 100 s),
/// so when the sweep reads a due announcement, whatever its operation was going to commit has landed, and a
/// file that is not deleted then never will be by it.
/// </summary>
public sealed class Announcement(DateTimeOffset now)
{
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(15);

    /// <summary>Room for a commit's own retries (the storage SDK's) between the check and the due minute.</summary>
    public static readonly TimeSpan CommitMargin = TimeSpan.FromMinutes(10);

    private readonly string op = Guid.NewGuid().ToString("N")[..16];

    /// <summary>When the sweep may settle what the operation left.</summary>
    public DateTimeOffset Due { get; } = now + Grace;

    /// <summary>Before a commit that deletes announced files: 14 when storage was so slow that the sweep could act on them first.</summary>
    public void ThrowIfLate(TimeProvider time)
    {
        var dueMinute = new DateTimeOffset(Due.UtcTicks - (Due.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        if (time.GetUtcNow() > dueMinute - CommitMargin)
            throw new StorageContentionException("Storage was too slow: a deletion would commit after its announcement fell due");
    }

    /// <summary>The index row naming <paramref name="file"/> for this announcement.</summary>
    internal PendingEntity RowOf(FileEntity file)
    {
        var row = PendingEntity.For(file, Due);
        row.RowKey = RowKeyOf(file.Id);
        return row;
    }

    internal string PartitionOf(long taskId) => PendingEntity.Partition(Due, taskId);

    internal string RowKeyOf(long fileId) => $"{Tables.Key(fileId)}.{op}";
}
