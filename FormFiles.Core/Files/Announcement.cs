using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>
/// One operation's announcement of the files it is about to delete: pending-index rows due at
/// <see cref="Due"/> (now), keyed by the file and this operation, so that finishing or withdrawing it
/// touches no other operation's row, even one of the same file in the same minute.
/// </summary>
public sealed class Announcement(DateTimeOffset due)
{
    private readonly string op = Guid.NewGuid().ToString("N")[..16];

    public DateTimeOffset Due => due;

    /// <summary>The index row naming <paramref name="file"/> for this announcement.</summary>
    internal PendingEntity RowOf(FileEntity file)
    {
        var row = PendingEntity.For(file, due);
        row.RowKey = RowKeyOf(file.Id);
        return row;
    }

    internal string PartitionOf(long fileId) => PendingEntity.Partition(due, FileIds.TaskOf(fileId));

    internal string RowKeyOf(long fileId) => $"{Tables.Key(fileId)}.{op}";
}
