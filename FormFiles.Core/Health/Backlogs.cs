using FormFiles.Files;
using FormFiles.Storage;
using FormFiles.Webhooks;

namespace FormFiles.Health;

/// <summary>
/// The backlogs health reports: the oldest row of the pending index past its due time (a reservation past
/// its expiry, a deletion not finished), and the undelivered webhook deliveries with their oldest event.
/// Read at most every <see cref="CacheFor"/> per instance (health needs no key, and this is 24 queries),
/// each read on its own timeout: a slow or failed read makes them unknown, never storage unavailable.
/// </summary>
public sealed partial class Backlogs(Tables tables, WebhookDeliveries deliveries, TimeProvider time, ILogger<Backlogs> logger)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    /// <summary>Due-index rows read a shard at most: a backlog larger than this is counted up to it.</summary>
    public const int ScanLimit = 1000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private readonly Lock gate = new();
    private (DateTimeOffset At, Task<Snapshot?> Read)? last;

    /// <summary>What was read.</summary>
    public sealed record Snapshot(DateTimeOffset? OldestOverdue, int Undelivered, DateTimeOffset? OldestEvent);

    /// <returns>
    /// The backlogs, or null when they could not be read. Calls within <see cref="CacheFor"/> of a read share
    /// it, a read still running and a failed one included, so no burst of health calls multiplies the queries.
    /// </returns>
    public Task<Snapshot?> ReadAsync()
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            if (last is { } cached && now >= cached.At && now - cached.At < CacheFor)
                return cached.Read;
            var read = ReadNowAsync(now);
            last = (now, read);
            return read;
        }
    }

    private async Task<Snapshot?> ReadNowAsync(DateTimeOffset now)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            var pending = OldestOverdueAsync(now, timeout.Token);
            var webhooks = deliveries.BacklogAsync(ScanLimit, timeout.Token);
            await Task.WhenAll(pending, webhooks);
            var (undelivered, oldestEvent) = await webhooks;
            return new Snapshot(await pending, undelivered, oldestEvent);
        }
        catch (Exception e) when (StorageFaults.IsStorageFailure(e) || e is OperationCanceledException)
        {
            Unread(logger, e);
            return null;
        }
    }

    /// <summary>The due time of the oldest row of the pending index that is due: the first row of each shard's due minutes.</summary>
    private async Task<DateTimeOffset?> OldestOverdueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var firsts = await Task.WhenAll(Enumerable.Range(0, PendingEntity.Shards).Select(async shard =>
        {
            await foreach (var row in tables.Pending.QueryAsync<PendingEntity>(PendingEntity.DueFilter(shard, now), maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken))
                return row.TryGetDue(out var due) ? due : (DateTimeOffset?)null;
            return null;
        }));
        return firsts.Min();
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Health could not read the backlogs; it reports them unknown")]
    private static partial void Unread(ILogger logger, Exception exception);
}
