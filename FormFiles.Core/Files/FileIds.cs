using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>
/// File ids are Navixy <c>int</c>s (signed 32-bit), handed out in blocks of <see cref="BlockSize"/>: block n
/// holds the ids n × 8 to n × 8 + 7. Every task id is also the number of its first block, so a task's first
/// eight files need no lookup: the id names the task's partition. A task's later files take further
/// blocks, numbered from the same sequence as tasks (a number is a task or a block, never both), each with
/// one <see cref="FileBlockEntity"/> row, in the partition its number names, saying whose it is.
/// </summary>
public static class FileIds
{
    public const int BlockSize = 8;

    /// <summary>The highest task or block number: its last file id is <see cref="int.MaxValue"/>.</summary>
    public const long MaxNumber = int.MaxValue / BlockSize;

    public const long MaxPerTask = (1L << 20) - 1;

    public static long BlockOf(long fileId) => fileId / BlockSize;

    /// <summary>Which of its task's blocks holds the task's <paramref name="sequence"/>th file (0: the task's own).</summary>
    public static int IndexOf(long sequence) => (int)((sequence - 1) / BlockSize);

    public static long Compose(long block, long sequence) => (block * BlockSize) + ((sequence - 1) % BlockSize);

    /// <summary>The task's file sequence of <paramref name="fileId"/>, in the task's block number <paramref name="index"/>.</summary>
    public static long SequenceOf(long fileId, int index) => ((long)index * BlockSize) + (fileId % BlockSize) + 1;

    /// <summary>A further block for the task's block number <paramref name="index"/>, with its row written.</summary>
    public static async Task<long> DrawBlockAsync(this IdAllocator ids, Tables tables, long taskId, int index, CancellationToken cancellationToken)
    {
        var block = await ids.NextAsync(IdAllocator.Tasks, cancellationToken);
        try
        {
            await tables.Tasks.AddEntityAsync(new FileBlockEntity { PartitionKey = Tables.Key(block), TaskId = taskId, Index = index }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // This add's own retry found it landed: the number is this call's alone.
        }

        return block;
    }

    /// <summary>The task a further block belongs to, and which of its blocks it is; null for a number that is no such block.</summary>
    public static async Task<FileBlockEntity?> FindBlockAsync(this Tables tables, long block, CancellationToken cancellationToken)
    {
        var row = await tables.Tasks.GetEntityIfExistsAsync<FileBlockEntity>(Tables.Key(block), FileBlockEntity.Row, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }
}

/// <summary>Whose a further block of file ids is (PK the block's number as a task key, RK <c>block</c>).</summary>
public sealed class FileBlockEntity : ITableEntity
{
    public const string Row = "block";

    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = Row;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public long TaskId { get; set; }

    public int Index { get; set; }
}
