using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Auth;

/// <summary>One API key: PK is the SHA-256 of the key (the key itself is never stored), RK <c>key</c>.</summary>
internal sealed class ApiKeyEntity : IStampedEntity
{
    public const string Row = "key";

    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = Row;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string? Op { get; set; }

    public long UserId { get; set; }

    /// <summary>Comma-separated rights.</summary>
    public string Rights { get; set; } = string.Empty;

    public DateTimeOffset Created { get; set; }

    public DateTimeOffset? Revoked { get; set; }
}
