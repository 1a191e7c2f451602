using Azure;
using Azure.Data.Tables;

namespace FormFiles.Storage;

/// <summary>A row that carries the id of the operation that last wrote it (<see cref="StampedWrites"/>).</summary>
public interface IStampedEntity : ITableEntity
{
    string? Op { get; set; }
}

/// <summary>
/// Writes that come out right when the Azure SDK retries them after a lost response. Each write stamps
/// its row with a new operation id; when the write (or its retry) answers 409 or 412 (404 for a
/// transaction), the row is read again: if it carries this write's stamp, the write landed and is a
/// success, with the row's current ETag. Otherwise another writer was first, and the caller decides.
/// </summary>
public static class StampedWrites
{
    /// <summary>Inserts <paramref name="row"/>; false when another write's row holds its key.</summary>
    public static async Task<bool> TryAddAsync<T>(this TableClient table, T row, CancellationToken cancellationToken)
        where T : IStampedEntity
    {
        row.Op = NewOp();
        try
        {
            var response = await table.AddEntityAsync(row, cancellationToken);
            row.ETag = response.Headers.ETag ?? row.ETag;
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return await LandedAsync(table, row, cancellationToken);
        }
    }

    /// <summary>Replaces <paramref name="row"/> if it still has <paramref name="ifMatch"/>; false when it changed or went first.</summary>
    public static async Task<bool> TryUpdateAsync<T>(this TableClient table, T row, ETag ifMatch, CancellationToken cancellationToken)
        where T : IStampedEntity
    {
        row.Op = NewOp();
        try
        {
            var response = await table.UpdateEntityAsync(row, ifMatch, TableUpdateMode.Replace, cancellationToken);
            row.ETag = response.Headers.ETag ?? row.ETag;
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return await LandedAsync(table, row, cancellationToken);
        }
    }

    /// <summary>The same for a <see cref="TableEntity"/>, whose <c>Op</c> is a property like the others.</summary>
    public static async Task<bool> TryAddAsync(this TableClient table, TableEntity row, CancellationToken cancellationToken)
    {
        var stamped = new StampedTableEntity(row) { Op = NewOp() };
        try
        {
            row.ETag = (await table.AddEntityAsync(row, cancellationToken)).Headers.ETag ?? row.ETag;
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return await LandedAsync(table, stamped, cancellationToken);
        }
    }

    /// <summary>The same for a <see cref="TableEntity"/>, whose <c>Op</c> is a property like the others.</summary>
    public static async Task<bool> TryUpdateAsync(this TableClient table, TableEntity row, ETag ifMatch, CancellationToken cancellationToken)
    {
        var stamped = new StampedTableEntity(row) { Op = NewOp() };
        try
        {
            row.ETag = (await table.UpdateEntityAsync(row, ifMatch, TableUpdateMode.Replace, cancellationToken)).Headers.ETag ?? row.ETag;
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return await LandedAsync(table, stamped, cancellationToken);
        }
    }

    /// <summary>
    /// Submits an entity-group transaction that adds or replaces <paramref name="witness"/> (one of its
    /// rows, which nobody else writes soon after: the row this operation creates, or changes alone);
    /// false when the transaction failed on a conflict (409, 412 or 404) and did not land.
    /// </summary>
    public static async Task<bool> TrySubmitAsync<T>(this TableClient table, IReadOnlyList<TableTransactionAction> actions, T witness, CancellationToken cancellationToken)
        where T : IStampedEntity
    {
        witness.Op = NewOp();
        try
        {
            var response = await table.SubmitTransactionAsync(actions, cancellationToken);
            for (var i = 0; i < actions.Count; i++)
            {
                if (actions[i].Entity is ITableEntity written && response.Value[i].Headers.ETag is { } etag)
                    written.ETag = etag;
            }

            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
        {
            return await LandedAsync(table, witness, cancellationToken);
        }
    }

    /// <summary>The same, with a <see cref="TableEntity"/> that only this operation writes as the witness (an outbox row).</summary>
    public static Task<bool> TrySubmitAsync(this TableClient table, IReadOnlyList<TableTransactionAction> actions, TableEntity witness, CancellationToken cancellationToken) =>
        table.TrySubmitAsync(actions, new StampedTableEntity(witness), cancellationToken);

    /// <summary>
    /// A counter row, made first (on its own, as <paramref name="initial"/>) when there is none, so that
    /// every change of it can be conditional on its ETag. (Two transactions that each add the same row
    /// can both succeed on Azurite.)
    /// </summary>
    public static async Task<TableEntity> GetOrAddAsync(this TableClient table, TableEntity initial, CancellationToken cancellationToken)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(initial.PartitionKey, initial.RowKey, cancellationToken: cancellationToken);
        if (row.HasValue)
            return row.Value!;
        try
        {
            initial.ETag = (await table.AddEntityAsync(initial, cancellationToken)).Headers.ETag ?? ETag.All;
            return initial;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return (await table.GetEntityAsync<TableEntity>(initial.PartitionKey, initial.RowKey, cancellationToken: cancellationToken)).Value; // Made meanwhile, or by this add's retry.
        }
    }

    /// <summary>Whether the stored row carries <paramref name="row"/>'s stamp; if so, <paramref name="row"/> takes its ETag.</summary>
    private static async Task<bool> LandedAsync<T>(TableClient table, T row, CancellationToken cancellationToken)
        where T : IStampedEntity
    {
        var stored = await table.GetEntityIfExistsAsync<TableEntity>(row.PartitionKey, row.RowKey, ["Op"], cancellationToken);
        if (!stored.HasValue || stored.Value!.GetString("Op") != row.Op)
            return false;
        row.ETag = stored.Value.ETag;
        return true;
    }

    private static string NewOp() => Guid.NewGuid().ToString("N");

    /// <summary>A <see cref="TableEntity"/> seen as a stamped row: its <c>Op</c> is a property like the others.</summary>
    private sealed class StampedTableEntity(TableEntity row) : IStampedEntity
    {
        public string PartitionKey { get => row.PartitionKey; set => row.PartitionKey = value; }

        public string RowKey { get => row.RowKey; set => row.RowKey = value; }

        public DateTimeOffset? Timestamp { get => row.Timestamp; set => row.Timestamp = value; }

        public ETag ETag { get => row.ETag; set => row.ETag = value; }

        public string? Op { get => row.GetString("Op"); set => row["Op"] = value; }
    }
}
