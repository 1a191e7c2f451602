using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace FormFiles.Files;

/// <summary>
/// The index of reservations not yet settled (table <c>pending</c>): PK the UTC minute the
/// reservation expires (<c>yyyyMMddHHmm</c>), RK the file id. It is written before quota is held,
/// so that every reservation, even one whose admission a crash cut short, is found by the
/// reconciliation and sweep passes by reading only the minutes that are due.
/// </summary>
public sealed class PendingEntity : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public long UserId { get; set; }

    public long TaskId { get; set; }

    public long FileId { get; set; }

    public DateTimeOffset Expires { get; set; }

    /// <summary>The index row naming <paramref name="file"/> under <paramref name="bucket"/>.</summary>
    public static PendingEntity For(FileEntity file, string bucket) => new()
    {
        PartitionKey = bucket,
        RowKey = Storage.Tables.Key(file.Id),
        UserId = file.UserId,
        TaskId = file.TaskId,
        FileId = file.Id,
        Expires = file.Expires,
    };

    public static string Bucket(DateTimeOffset expires) => expires.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);
}
