using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>Reading file rows: one by id (the id names its task's partition), or all of a task's.</summary>
public static class FileRows
{
    /// <summary>The row of <paramref name="fileId"/>, whatever its owner or state; null when there is none.</summary>
    public static async Task<FileEntity?> FindFileAsync(this Tables tables, long fileId, CancellationToken cancellationToken)
    {
        if (fileId <= 0)
            return null;
        var row = await tables.Tasks.GetEntityIfExistsAsync<FileEntity>(Tables.Key(FileIds.TaskOf(fileId)), FileEntity.Row(fileId), cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>Every file row of a task's partition, in id order (all states).</summary>
    public static async Task<List<FileEntity>> FilesOfTaskAsync(this Tables tables, string taskPartition, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {taskPartition} and RowKey ge {FileEntity.RowPrefix} and RowKey lt {"file."}");
        return await tables.Tasks.QueryAsync<FileEntity>(filter, cancellationToken: cancellationToken).ToListAsync(cancellationToken);
    }
}
