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
/// The purge runs with the sweep, at most hourly, up to <see cref="PurgeBudget"/> rows a pass.
/// </summary>
public sealed partial class DeliveryRetention(Tables tables, IOptions<FormFilesOptions> options, TimeProvider time, ILogger<DeliveryRetention> logger)
{
    public const int PurgeBudget = 10_000;

    /// <summary>The partition of deleted endpoints.</summary>
    private const string Endpoints = "00000000";

    private static readonly TimeSpan PurgeInterval = TimeSpan.FromHours(1);

    private long nextPurgeTicks;

    /// <summary>The expiry row of a delivery queued <paramref name="at"/>: written before the delivery, so that none is without one.</summary>
    public Task RecordAsync(long webhookId, string deliveryRow, DateTimeOffset at, CancellationToken cancellationToken) =>
        tables.DeliveryExpiry.UpsertEntityAsync(new TableEntity(Day(at), $"{Tables.Key(webhookId)}|{deliveryRow}"), TableUpdateMode.Replace, cancellationToken);

    /// <summary>An endpoint was deleted: its deliveries go at the next purge.</summary>
    public Task EndpointDeletedAsync(long webhookId, CancellationToken cancellationToken) =>
        tables.DeliveryExpiry.UpsertEntityAsync(new TableEntity(Endpoints, Tables.Key(webhookId)), TableUpdateMode.Replace, cancellationToken);

    /// <returns>How many deliveries were deleted (0 when the purge is not due on this instance).</returns>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var next = Interlocked.Read(ref nextPurgeTicks);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref nextPurgeTicks, (now + PurgeInterval).UtcTicks, next) != next)
            return 0;

        var deleted = 0;
        var cutoff = Day(now - options.Value.Webhooks.Retention);
        var expired = tables.DeliveryExpiry.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey lt {cutoff}"), maxPerPage: 1000, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken);
        await Parallel.ForEachAsync(expired.Take(PurgeBudget), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (row, token) =>
        {
            if (row.PartitionKey == Endpoints)
            {
                var (gone, emptied) = await PurgeEndpointAsync(row.RowKey, token);
                Interlocked.Add(ref deleted, gone);
                if (!emptied)
                    return; // The rest goes at the next pass.
            }
            else
            {
                var (webhook, deliveryRow) = (row.RowKey[..19], row.RowKey[20..]);
                if (await DeleteAsync(webhook, deliveryRow, token))
                    Interlocked.Increment(ref deleted);
                await IgnoreGoneAsync(tables.Deliveries.DeleteEntityAsync(webhook, EventRow(deliveryRow), ETag.All, token));
            }

            await IgnoreGoneAsync(tables.DeliveryExpiry.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, token));
        });
        if (deleted > 0)
            Purged(logger, deleted);
        return deleted;
    }

    /// <summary>The point-lookup row of a delivery: <c>e-{event id}</c>, the delivery row's own tail.</summary>
    public static string EventRow(string deliveryRow) => "e-" + deliveryRow[20..];

    /// <returns>How many of the endpoint's rows went, and whether none is left.</returns>
    private async Task<(int Deleted, bool Emptied)> PurgeEndpointAsync(string webhook, CancellationToken cancellationToken)
    {
        var rows = await tables.Deliveries.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {webhook}"), maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken)
            .Take(1000).ToListAsync(cancellationToken);
        foreach (var batch in rows.Chunk(100))
        {
            try
            {
                await tables.Deliveries.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(webhook, r.RowKey), ETag.All)), cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // One went meanwhile (or with this batch's own retry): the next pass lists what is left.
                return (0, false);
            }
        }

        return (rows.Count, rows.Count < 1000);
    }

    private async Task<bool> DeleteAsync(string webhook, string deliveryRow, CancellationToken cancellationToken) =>
        await IgnoreGoneAsync(tables.Deliveries.DeleteEntityAsync(webhook, deliveryRow, ETag.All, cancellationToken));

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

    [LoggerMessage(EventId = 2630, Level = LogLevel.Information, Message = "Purged {Count} webhook deliveries past their retention or of deleted endpoints")]
    private static partial void Purged(ILogger logger, int count);
}
