using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Admin;

/// <summary>A user (an API customer): PK the user id, RK <c>user</c>.</summary>
internal sealed class UserEntity : IStampedEntity
{
    public const string Row = "user";

    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = Row;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string? Op { get; set; }

    public long Id { get; set; }

    public string Label { get; set; } = string.Empty;

    public long QuotaBytes { get; set; }

    public DateTimeOffset Created { get; set; }

    /// <summary>The user's own rate limit per API key, when an admin set one (otherwise <c>FormFiles:RateLimit</c>).</summary>
    public int? RateLimitPerSecond { get; set; }

    public int? RateLimitBurst { get; set; }

    /// <summary>The IANA time zone its <c>/v2/</c> dates are shown in; UTC when none.</summary>
    public string? TimeZone { get; set; }
}
