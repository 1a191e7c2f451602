using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Quota;

/// <summary>
/// Each user's storage quota (design §6). Every file that holds quota has a <em>charge</em> row in
/// the user's partition; the user row's totals change in the same entity-group transaction as the
/// charge row, conditional on the user row's ETag. So a charge is taken or given back exactly once,
/// however often and wherever it is retried, and the totals always equal the sum of the charges.
/// The last user row seen is kept, so that an uncontended charge costs one storage transaction.
/// </summary>
public sealed class QuotaLedger(Tables tables)
{
    private const string UserRow = "user";

    private readonly ConcurrentDictionary<long, Totals> lastSeen = new();

    /// <summary>Charges <paramref name="bytes"/> for <paramref name="fileId"/>; false when that would exceed the quota.</summary>
    public async Task<bool> TryChargeAsync(long userId, long fileId, long bytes, CancellationToken cancellationToken)
    {
        var totals = lastSeen.TryGetValue(userId, out var cached) ? cached : await ReadAsync(userId, cancellationToken);
        var fresh = cached is null;
        while (true)
        {
            if (totals.UsedBytes + bytes > totals.QuotaBytes)
            {
                if (fresh)
                    return false;
                (totals, fresh) = (await ReadAsync(userId, cancellationToken), true);
                continue;
            }

            var charge = new TableEntity(Tables.Key(userId), ChargeRow(fileId)) { ["Bytes"] = bytes };
            try
            {
                await WriteAsync(userId, totals with { UsedBytes = totals.UsedBytes + bytes, FileCount = totals.FileCount + 1 },
                    new TableTransactionAction(TableTransactionActionType.Add, charge), cancellationToken);
                return true;
            }
            catch (TableTransactionFailedException e) when (e.Status == 412)
            {
                (totals, fresh) = (await ReadAsync(userId, cancellationToken), true);
            }
            catch (TableTransactionFailedException e) when (e.Status == 409)
            {
                return true; // This file is charged already.
            }
        }
    }

    /// <summary>Gives back what <paramref name="fileId"/> holds; nothing when it holds nothing (already given back).</summary>
    public async Task ReleaseAsync(long userId, long fileId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var charge = await tables.Users.GetEntityIfExistsAsync<TableEntity>(Tables.Key(userId), ChargeRow(fileId), cancellationToken: cancellationToken);
            if (!charge.HasValue)
                return;
            var totals = await ReadAsync(userId, cancellationToken);
            var bytes = charge.Value!.GetInt64("Bytes") ?? 0;
            try
            {
                await WriteAsync(userId, totals with { UsedBytes = totals.UsedBytes - bytes, FileCount = totals.FileCount - 1 },
                    new TableTransactionAction(TableTransactionActionType.Delete, charge.Value, charge.Value.ETag), cancellationToken);
                return;
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 412)
            {
                // Changed meanwhile (possibly released by another caller): look again.
            }
        }
    }

    /// <summary>Makes <paramref name="fileId"/> hold <paramref name="bytes"/> (reserved → real size); nothing if it holds that already or nothing at all.</summary>
    public async Task AdjustAsync(long userId, long fileId, long bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            var charge = await tables.Users.GetEntityIfExistsAsync<TableEntity>(Tables.Key(userId), ChargeRow(fileId), cancellationToken: cancellationToken);
            if (!charge.HasValue || charge.Value!.GetInt64("Bytes") == bytes)
                return;
            var held = charge.Value.GetInt64("Bytes") ?? 0;
            var totals = await ReadAsync(userId, cancellationToken);
            var adjusted = new TableEntity(charge.Value.PartitionKey, charge.Value.RowKey) { ["Bytes"] = bytes };
            try
            {
                await WriteAsync(userId, totals with { UsedBytes = totals.UsedBytes - held + bytes },
                    new TableTransactionAction(TableTransactionActionType.UpdateReplace, adjusted, charge.Value.ETag), cancellationToken);
                return;
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 412)
            {
                // Changed meanwhile: look again.
            }
        }
    }

    public async Task<Totals> ReadAsync(long userId, CancellationToken cancellationToken)
    {
        var row = await tables.Users.GetEntityAsync<TableEntity>(Tables.Key(userId), UserRow, ["QuotaBytes", "UsedBytes", "FileCount"], cancellationToken);
        var totals = new Totals(row.Value.GetInt64("QuotaBytes") ?? 0, row.Value.GetInt64("UsedBytes") ?? 0, row.Value.GetInt64("FileCount") ?? 0, row.Value.ETag);
        lastSeen[userId] = totals;
        return totals;
    }

    private async Task WriteAsync(long userId, Totals totals, TableTransactionAction charge, CancellationToken cancellationToken)
    {
        var user = new TableEntity(Tables.Key(userId), UserRow) { ["UsedBytes"] = totals.UsedBytes, ["FileCount"] = totals.FileCount };
        var response = await tables.Users.SubmitTransactionAsync(
            [new TableTransactionAction(TableTransactionActionType.UpdateMerge, user, totals.ETag), charge], cancellationToken);
        if (response.Value[0].Headers.ETag is { } etag)
            lastSeen[userId] = totals with { ETag = etag };
        else
            lastSeen.TryRemove(userId, out _);
    }

    private static string ChargeRow(long fileId) => "charge-" + Tables.Key(fileId);

    /// <summary>A user's quota and what holds it: bytes reserved or uploaded, and the number of such files.</summary>
    public sealed record Totals(long QuotaBytes, long UsedBytes, long FileCount, ETag ETag);
}
