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
/// The last user row seen is kept, so that an uncontended charge, release or adjustment writes the
/// user row without reading it first.
/// </summary>
public sealed class QuotaLedger(Tables tables)
{
    private const string UserRow = "user";

    private readonly ConcurrentDictionary<long, Totals> lastSeen = new();

    /// <summary>Charges <paramref name="bytes"/> for <paramref name="fileId"/>; false when that would exceed the quota.</summary>
    public async Task<bool> TryChargeAsync(long userId, long fileId, long bytes, CancellationToken cancellationToken)
    {
        var fresh = !lastSeen.ContainsKey(userId);
        while (true)
        {
            var totals = await TotalsAsync(userId, fresh, cancellationToken);
            if (totals.UsedBytes + bytes > totals.QuotaBytes)
            {
                if (fresh)
                    return false;
                fresh = true; // Decide "over quota" on the current row only.
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
                fresh = true;
            }
            catch (TableTransactionFailedException e) when (e.Status == 409)
            {
                return true; // This file is charged already.
            }
        }
    }

    /// <summary>Gives back what <paramref name="fileId"/> holds; nothing when it holds nothing (already given back).</summary>
    public Task ReleaseAsync(long userId, long fileId, CancellationToken cancellationToken) =>
        RechargeAsync(userId, fileId, null, cancellationToken);

    /// <summary>Makes <paramref name="fileId"/> hold <paramref name="bytes"/> (reserved → real size); nothing if it holds that already or nothing at all.</summary>
    public Task AdjustAsync(long userId, long fileId, long bytes, CancellationToken cancellationToken) =>
        RechargeAsync(userId, fileId, bytes, cancellationToken);

    /// <summary>Sets an existing charge to <paramref name="bytes"/>, or removes it (null), with the user's totals in the same transaction.</summary>
    private async Task RechargeAsync(long userId, long fileId, long? bytes, CancellationToken cancellationToken)
    {
        var fresh = false;
        while (true)
        {
            var charge = await tables.Users.GetEntityIfExistsAsync<TableEntity>(Tables.Key(userId), ChargeRow(fileId), cancellationToken: cancellationToken);
            if (!charge.HasValue)
                return;
            var held = charge.Value!.GetInt64("Bytes") ?? 0;
            if (held == bytes)
                return;
            var totals = await TotalsAsync(userId, fresh, cancellationToken);
            var change = bytes is { } kept
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, new TableEntity(charge.Value.PartitionKey, charge.Value.RowKey) { ["Bytes"] = kept }, charge.Value.ETag)
                : new TableTransactionAction(TableTransactionActionType.Delete, charge.Value, charge.Value.ETag);
            try
            {
                await WriteAsync(userId, totals with { UsedBytes = totals.UsedBytes - held + (bytes ?? 0), FileCount = totals.FileCount - (bytes is null ? 1 : 0) }, change, cancellationToken);
                return;
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 412)
            {
                fresh = true; // Changed meanwhile (possibly by another caller doing the same): look again.
            }
        }
    }

    /// <summary>The remembered user row, or (when <paramref name="fresh"/> or none is remembered) the stored one.</summary>
    private async Task<Totals> TotalsAsync(long userId, bool fresh, CancellationToken cancellationToken) =>
        !fresh && lastSeen.TryGetValue(userId, out var remembered) ? remembered : await ReadAsync(userId, cancellationToken);

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
