using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>Reading file rows: one by id (see <see cref="FileIds"/>), or all of a task's.</summary>
public static class FileRows
{
    /// <summary>The row of <paramref name="fileId"/>, whatever its owner or state; null when there is none.</summary>
    /// <remarks>One read for a task's first eight files (the id names the task), three for later ones (<see cref="FileIds"/>).</remarks>
    public static async Task<FileEntity?> FindFileAsync(this Tables tables, long fileId, CancellationToken cancellationToken)
    {
        if (fileId is <= 0 or > int.MaxValue)
            return null;
        var block = FileIds.BlockOf(fileId);
        return await tables.FindFileAsync(block, fileId, cancellationToken)
               ?? (await tables.FindBlockAsync(block, cancellationToken) is { } owner ? await tables.FindFileAsync(owner.TaskId, fileId, cancellationToken) : null);
    }

    /// <summary>The row of <paramref name="fileId"/> in the partition of <paramref name="taskId"/>; null when there is none.</summary>
    public static async Task<FileEntity?> FindFileAsync(this Tables tables, long taskId, long fileId, CancellationToken cancellationToken)
    {
        var row = await tables.Tasks.GetEntityIfExistsAsync<FileEntity>(Tables.Key(taskId), FileEntity.Row(fileId), cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>Every file row of a task's partition, in id order (all states).</summary>
    public static async Task<List<FileEntity>> FilesOfTaskAsync(this Tables tables, string taskPartition, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {taskPartition} and RowKey ge {FileEntity.RowPrefix} and RowKey lt {"file."}");
        return await tables.Tasks.QueryAsync<FileEntity>(filter, cancellationToken: cancellationToken).ToListAsync(cancellationToken);
    }
}
