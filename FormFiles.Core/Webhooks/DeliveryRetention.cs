using System.Globalization;
using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Webhooks;

/// <summary>
/// Deliveries are kept for <see cref="WebhookOptions.Retention"/> after they were queued, and go with their endpoint.
/// Each delivery has a row in <c>deliveryexpiry</c> under the day it was queued, so that the purge reads only what
/// expired (a day's partitions are a key range), never the deliveries kept; a deleted endpoint leaves a row under
/// <see cref="Endpoints"/>, which sorts before every day, so the same range finds it and its whole partition goes.
/// The purge runs with the sweep, hourly, up to <see cref="PurgeBudget"/> rows a pass in transactions of 50 deliveries (with
/// their e- rows) or 100 rows; a pass that leaves expired rows behind lets the next sweep go on at once (10,000 a minute).
/// </summary>
public sealed partial class DeliveryRetention(Tables tables, IOptions<FormFilesOptions> options, TimeProvider time, ILogger<DeliveryRetention> logger)
{
    public const int PurgeBudget = 10_000;

    /// <summary>The partition of deleted endpoints.</summary>
    private const string Endpoints = "00000000";

    private static readonly TimeSpan PurgeInterval = TimeSpan.FromHours(1);

    private readonly IntervalGate purges = new(PurgeInterval);

    /// <summary>The most expiry rows a pass reads (and the most rows of a deleted endpoint it deletes).</summary>
    internal int Budget { get; init; } = PurgeBudget;

    /// <summary>The expiry row of a delivery queued <paramref name="at"/>: written before the delivery, so that none is without one.</summary>
    public Task RecordAsync(long webhookId, string deliveryRow, DateTimeOffset at, CancellationToken cancellationToken) =>
        tables.DeliveryExpiry.UpsertEntityAsync(new TableEntity(Day(at), $"{Tables.Key(webhookId)}|{deliveryRow}"), TableUpdateMode.Replace, cancellationToken);

    /// <summary>An endpoint was deleted: its deliveries go at the next purge.</summary>
    public Task EndpointDeletedAsync(long webhookId, CancellationToken cancellationToken) =>
        tables.DeliveryExpiry.UpsertEntityAsync(new TableEntity(Endpoints, Tables.Key(webhookId)), TableUpdateMode.Replace, cancellationToken);

    /// <returns>How many delivery rows (deliveries and their e- rows) were deleted (0 when the purge is not due on this instance).</returns>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!purges.TryEnter(now))
            return 0;
        try
        {
            return await PurgeExpiredAsync(now, cancellationToken);
        }
        catch
        {
            purges.Reopen(); // Storage failed the pass: the next sweep tries again rather than an hour later.
            throw;
        }
    }

    private async Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = Day(now - options.Value.Webhooks.Retention);
        var expired = await tables.DeliveryExpiry.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey lt {cutoff}"), maxPerPage: 1000, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken)
            .Take(Budget).ToListAsync(cancellationToken);
        var leftBehind = expired.Count == Budget;
        var deleted = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken };

        // Deleted endpoints: their whole partition, up to the budget each; the row stays until the partition is empty.
        var endpoints = expired.Where(r => r.PartitionKey == Endpoints).ToList();
        foreach (var endpoint in endpoints)
        {
            if (deleted >= Budget)
            {
                leftBehind = true;
                break;
            }

            var (gone, emptied) = await PurgeEndpointAsync(endpoint.RowKey, cancellationToken);
            deleted += gone;
            if (!emptied)
                leftBehind = true;
        }

        // Each delivery with its e- row, 50 of an endpoint's to a transaction.
        var days = expired.Where(r => r.PartitionKey != Endpoints).ToList();
        var batches = days.GroupBy(r => r.RowKey[..19]).SelectMany(g => g.Select(r => r.RowKey[20..]).Distinct().Order(StringComparer.Ordinal).Chunk(50).Select(rows => (Webhook: g.Key, Rows: rows)));
        await Parallel.ForEachAsync(batches, parallel, async (batch, token) =>
            Interlocked.Add(ref deleted, await DeleteDeliveriesAsync(batch.Webhook, batch.Rows, token)));

        // Then their expiry rows.
        await Parallel.ForEachAsync(days.GroupBy(r => r.PartitionKey).SelectMany(g => g.Select(r => r.RowKey).Chunk(100).Select(rows => (Day: g.Key, Rows: rows))), parallel, async (batch, token) =>
            await DeleteAsync(tables.DeliveryExpiry, batch.Day, batch.Rows, token));

        if (leftBehind)
            purges.Reopen(); // More expired than a pass takes: the next sweep goes on.
        if (deleted > 0)
            Purged(logger, deleted);
        return deleted;
    }

    /// <summary>The point-lookup row of a delivery: <c>e-{event id}</c>, the delivery row's own tail.</summary>
    public static string EventRow(string deliveryRow) => "e-" + deliveryRow[20..];

    /// <returns>How many of the endpoint's rows went, and whether none is left (then its expiry row goes too).</returns>
    private async Task<(int Deleted, bool Emptied)> PurgeEndpointAsync(string webhook, CancellationToken cancellationToken)
    {
        var rows = await tables.Deliveries.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {webhook}"), maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken)
            .Take(Budget).Select(r => r.RowKey).ToListAsync(cancellationToken);
        var deleted = 0;
        await Parallel.ForEachAsync(rows.Chunk(100), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (batch, token) =>
            Interlocked.Add(ref deleted, await DeleteAsync(tables.Deliveries, webhook, batch, token)));
        if (rows.Count == Budget)
            return (deleted, false);
        await IgnoreGoneAsync(tables.DeliveryExpiry.DeleteEntityAsync(Endpoints, webhook, ETag.All, cancellationToken));
        return (deleted, true);
    }

    /// <summary>
    /// Deliveries of one endpoint (in key order) with their e- rows, in one transaction. When some are gone already (their
    /// endpoint's purge took them, or this transaction's own retry after it landed), one page of their key range says which
    /// are left (point reads for any past that page: the range may hold a day's other deliveries).
    /// </summary>
    private async Task<int> DeleteDeliveriesAsync(string webhook, IReadOnlyList<string> rows, CancellationToken cancellationToken)
    {
        // The e- row first: one at a time, an interrupted delete leaves the delivery, which the next pass finds again.
        static List<string> WithLookups(IEnumerable<string> deliveries) => deliveries.SelectMany(r => new[] { EventRow(r), r }).ToList();
        if (await TryDeleteAsync(tables.Deliveries, webhook, WithLookups(rows), cancellationToken))
            return rows.Count * 2;
        var page = await tables.Deliveries.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {webhook} and RowKey ge {rows[0]} and RowKey le {rows[^1]}"),
            maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken).Select(r => r.RowKey).Take(1000).ToListAsync(cancellationToken);
        var read = page.Count < 1000 ? rows[^1] : page[^1];
        var still = rows.Where(r => string.CompareOrdinal(r, read) <= 0 && page.Contains(r)).ToList();
        foreach (var row in rows.Where(r => string.CompareOrdinal(r, read) > 0))
        {
            if ((await tables.Deliveries.GetEntityIfExistsAsync<TableEntity>(webhook, row, ["RowKey"], cancellationToken)).HasValue)
                still.Add(row);
        }

        return still.Count == 0 ? 0 : await DeleteAsync(tables.Deliveries, webhook, WithLookups(still), cancellationToken);
    }

    /// <summary>
    /// Deletes rows of one partition in one transaction (at most 100). When one is gone already (deleted meanwhile, or by this
    /// transaction's own retry after it landed), the transaction deletes nothing, and each goes on its own.
    /// </summary>
    /// <returns>How many were there to delete.</returns>
    private static async Task<int> DeleteAsync(TableClient table, string partition, IReadOnlyList<string> rows, CancellationToken cancellationToken)
    {
        if (await TryDeleteAsync(table, partition, rows, cancellationToken))
            return rows.Count;
        var deleted = 0;
        foreach (var row in rows)
        {
            if (await IgnoreGoneAsync(table.DeleteEntityAsync(partition, row, ETag.All, cancellationToken)))
                deleted++;
        }

        return deleted;
    }

    /// <returns>False when one of the rows was not there, and so none was deleted.</returns>
    private static async Task<bool> TryDeleteAsync(TableClient table, string partition, IReadOnlyList<string> rows, CancellationToken cancellationToken)
    {
        try
        {
            await table.SubmitTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, r), ETag.All)), cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <returns>False when the row was gone already (deleted meanwhile, or by this delete's own retry).</returns>
    private static async Task<bool> IgnoreGoneAsync(Task<Response> delete)
    {
        try
        {
            return (await delete).Status != 404;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    private static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 2630, Level = LogLevel.Information, Message = "Purged {Count} webhook delivery rows past their retention or of deleted endpoints")]
    private static partial void Purged(ILogger logger, int count);
}
