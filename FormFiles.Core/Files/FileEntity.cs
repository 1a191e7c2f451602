using Azure;
using Azure.Data.Tables;

namespace FormFiles.Files;

/// <summary>A file (from its reservation on): a row of its task's partition, RK <c>file-{id}</c>.</summary>
public sealed class FileEntity : ITableEntity
{
    public const string RowPrefix = "file-";

    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public long Id { get; set; }

    public long UserId { get; set; }

    public long TaskId { get; set; }

    public string FieldId { get; set; } = string.Empty;

    public string State { get; set; } = FileStates.Created;

    /// <summary>The size the client reserved; quota is held for it until the upload is done.</summary>
    public long ReservedSize { get; set; }

    public string? Name { get; set; }

    /// <summary>The client's metadata object, as JSON.</summary>
    public string? Metadata { get; set; }

    public DateTimeOffset Created { get; set; }

    public DateTimeOffset Expires { get; set; }

    /// <summary>SHA-256 of the multipart upload token's secret part.</summary>
    public string TokenDigest { get; set; } = string.Empty;

    public static string Row(long fileId) => RowPrefix + Storage.Tables.Key(fileId);
}
