using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Quota;

/// <summary>
/// Each user's storage quota (design §6). Every file that holds quota has a <em>charge</em> row in
/// the user's partition; the user row's totals change in the same entity-group transaction as the
/// charge rows, conditional on the user row's ETag. So a charge is taken or given back exactly once,
/// however often and wherever it is retried (a retry finds its charge row as wanted), and the totals
/// always equal the sum of the charges.
/// <para>
/// Group commit: the changes asked for one user while a transaction of theirs is in flight wait, and
/// go together in the next one (up to <see cref="MaxPerCommit"/>). So parallel work for one user (a
/// sweep of thousands of their files, many uploads at once) costs one conditional write per group, not
/// a lost race per change. The last user row seen is kept, so that an uncontended change writes the
/// user row without reading it first.
/// </para>
/// </summary>
public sealed class QuotaLedger(Tables tables)
{
    private const string UserRow = "user";
    private const int MaxPerCommit = 99;

    /// <summary>A group is up to 99 callers' changes: worth more attempts than one caller's write.</summary>
    private const int GroupAttempts = 4 * Contention.MaxAttempts;

    private readonly ConcurrentDictionary<long, Totals> lastSeen = new();
    private readonly ConcurrentDictionary<long, Queue> queues = new();

    /// <summary>Charges <paramref name="bytes"/> for <paramref name="fileId"/>; false when that would exceed the quota.</summary>
    public Task<bool> TryChargeAsync(long userId, long fileId, long bytes, CancellationToken cancellationToken) =>
        EnqueueAsync(userId, new Change(fileId, bytes, charge: true), cancellationToken);

    /// <summary>Gives back what <paramref name="fileId"/> holds; nothing when it holds nothing (already given back).</summary>
    public Task ReleaseAsync(long userId, long fileId, CancellationToken cancellationToken) =>
        EnqueueAsync(userId, new Change(fileId, null, charge: false), cancellationToken);

    /// <summary>Makes <paramref name="fileId"/> hold <paramref name="bytes"/> (reserved → real size); nothing if it holds that already or nothing at all.</summary>
    public Task AdjustAsync(long userId, long fileId, long bytes, CancellationToken cancellationToken) =>
        EnqueueAsync(userId, new Change(fileId, bytes, charge: false), cancellationToken);

    public async Task<Totals> ReadAsync(long userId, CancellationToken cancellationToken)
    {
        var row = await tables.Users.GetEntityAsync<TableEntity>(Tables.Key(userId), UserRow, ["QuotaBytes", "UsedBytes", "FileCount"], cancellationToken);
        var totals = new Totals(row.Value.GetInt64("QuotaBytes") ?? 0, row.Value.GetInt64("UsedBytes") ?? 0, row.Value.GetInt64("FileCount") ?? 0, row.Value.ETag);
        lastSeen[userId] = totals;
        return totals;
    }

    /// <summary>Queues a change; the first caller to find no commit running commits every queued one, group by group.</summary>
    private async Task<bool> EnqueueAsync(long userId, Change change, CancellationToken cancellationToken)
    {
        var queue = queues.GetOrAdd(userId, _ => new Queue());
        bool lead;
        lock (queue)
        {
            queue.Waiting.Add(change);
            lead = !queue.Committing;
            queue.Committing = true;
        }

        if (lead)
            _ = Task.Run(() => CommitQueuedAsync(userId, queue), CancellationToken.None);
        return await change.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task CommitQueuedAsync(long userId, Queue queue)
    {
        while (true)
        {
            List<Change> group;
            lock (queue)
            {
                // One change per file in a group (a file's second change waits for the next).
                group = queue.Waiting.DistinctBy(c => c.FileId).Take(MaxPerCommit).ToList();
                if (group.Count == 0)
                {
                    queue.Committing = false;
                    return;
                }

                foreach (var change in group)
                    queue.Waiting.Remove(change);
            }

            try
            {
                await CommitAsync(userId, group);
            }
            catch (Exception e)
            {
                foreach (var change in group)
                    change.Done.TrySetException(e);
            }
        }
    }

    /// <summary>
    /// One transaction for <paramref name="group"/>: each change is judged on its charge row as stored
    /// (a charge that is there already is done; a release of one that is gone is done), charges in
    /// order until the quota is full.
    /// </summary>
    private async Task CommitAsync(long userId, List<Change> group)
    {
        var fresh = !lastSeen.ContainsKey(userId);
        var readCharges = group.Any(c => !c.Charge);
        Dictionary<long, (long Bytes, ETag ETag)?>? held = null;
        await Contention.RetryAsync(async () =>
        {
            var totals = await TotalsAsync(userId, fresh);
            if (readCharges || held is null)
                held = readCharges ? await HeldAsync(userId, group) : group.ToDictionary(c => c.FileId, _ => ((long Bytes, ETag ETag)?)null);
            readCharges = false;
            var (used, count) = (totals.UsedBytes, totals.FileCount);
            var writes = new List<TableTransactionAction>();
            var results = new Dictionary<Change, bool>();
            foreach (var change in group)
            {
                var stored = held[change.FileId];
                if (change.Charge)
                {
                    if (stored is not null)
                        results[change] = true; // Charged already (this very charge, retried).
                    else if (used + change.Bytes!.Value > totals.QuotaBytes)
                        results[change] = false;
                    else
                    {
                        writes.Add(new(TableTransactionActionType.Add, ChargeEntity(userId, change.FileId, change.Bytes.Value)));
                        (used, count, results[change]) = (used + change.Bytes.Value, count + 1, true);
                    }
                }
                else
                {
                    results[change] = true;
                    if (stored is not { } charge || charge.Bytes == change.Bytes)
                        continue;
                    writes.Add(change.Bytes is { } kept
                        ? new(TableTransactionActionType.UpdateReplace, ChargeEntity(userId, change.FileId, kept), charge.ETag)
                        : new(TableTransactionActionType.Delete, ChargeEntity(userId, change.FileId, 0), charge.ETag));
                    (used, count) = (used - charge.Bytes + (change.Bytes ?? 0), count - (change.Bytes is null ? 1 : 0));
                }
            }

            if (!fresh && results.ContainsValue(false))
            {
                fresh = true; // Decide "over quota" on the current row only.
                return false;
            }

            if (writes.Count > 0)
            {
                var user = new TableEntity(Tables.Key(userId), UserRow) { ["UsedBytes"] = used, ["FileCount"] = count };
                try
                {
                    var response = await tables.Users.SubmitTransactionAsync(writes.Prepend(new(TableTransactionActionType.UpdateMerge, user, totals.ETag)));
                    lastSeen[userId] = totals with { UsedBytes = used, FileCount = count, ETag = response.Value[0].Headers.ETag ?? default };
                }
                catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
                {
                    // The user row changed meanwhile (another instance): read it again. A charge row not as read (another
                    // instance settled the same file, or a retry of ours landed) fails at its own action: read the charges too.
                    (fresh, readCharges) = (true, e.FailedTransactionActionIndex is not 0);
                    lastSeen.TryRemove(userId, out _);
                    return false;
                }
            }

            foreach (var (change, result) in results)
                change.Done.TrySetResult(result);
            return true;
        }, CancellationToken.None, GroupAttempts);
    }

    /// <summary>The remembered user row, or (when <paramref name="fresh"/> or none is remembered) the stored one.</summary>
    private async Task<Totals> TotalsAsync(long userId, bool fresh) =>
        !fresh && lastSeen.TryGetValue(userId, out var remembered) ? remembered : await ReadAsync(userId, CancellationToken.None);

    /// <summary>Each file's charge row as stored (null: none), read in parallel.</summary>
    private async Task<Dictionary<long, (long Bytes, ETag ETag)?>> HeldAsync(long userId, List<Change> group)
    {
        var rows = await Task.WhenAll(group.Select(async c =>
        {
            var row = await tables.Users.GetEntityIfExistsAsync<TableEntity>(Tables.Key(userId), ChargeRow(c.FileId), ["Bytes"]);
            return (c.FileId, Held: row.HasValue ? (row.Value!.GetInt64("Bytes") ?? 0, row.Value.ETag) : ((long, ETag)?)null);
        }));
        return rows.ToDictionary(r => r.FileId, r => r.Held);
    }

    private static TableEntity ChargeEntity(long userId, long fileId, long bytes) =>
        new(Tables.Key(userId), ChargeRow(fileId)) { ["Bytes"] = bytes };

    private static string ChargeRow(long fileId) => "charge-" + Tables.Key(fileId);

    /// <summary>A user's quota and what holds it: bytes reserved or uploaded, and the number of such files.</summary>
    public sealed record Totals(long QuotaBytes, long UsedBytes, long FileCount, ETag ETag);

    /// <summary>One change asked for: a charge of <see cref="Bytes"/>, or setting the charge to <see cref="Bytes"/> (null: releasing it).</summary>
    private sealed class Change(long fileId, long? bytes, bool charge)
    {
        public long FileId => fileId;

        public long? Bytes => bytes;

        public bool Charge => charge;

        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Queue
    {
        public List<Change> Waiting { get; } = [];

        public bool Committing { get; set; }
    }
}
