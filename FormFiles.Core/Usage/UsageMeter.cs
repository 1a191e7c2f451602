using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using FormFiles.Auth;
using FormFiles.Storage;

namespace FormFiles.Usage;

/// <summary>
/// Counts calls and bytes per user, API key, UTC day and action, in memory, and adds them to the
/// <c>usage</c> table on <see cref="FlushAsync"/> (every <c>FormFiles:Usage:FlushInterval</c> and on
/// shutdown). Each instance adds to rows of its own (so instances never contend; a read sums them),
/// with an ETag-conditional write that records its operation id, so that a retried write is not
/// counted twice; what a failed flush could not write waits for the next one. A crash loses what was
/// not flushed: one interval of counts, more only while storage was refusing the flushes.
/// </summary>
public sealed partial class UsageMeter(Tables tables, TimeProvider time, IOptions<FormFilesOptions> options, ILogger<UsageMeter> logger)
{
    /// <summary>The rows this instance writes: the App Service instance (stable over restarts) in Azure, a new id elsewhere.</summary>
    private readonly string instance = Environment.GetEnvironmentVariable("WEBSITE_INSTANCE_ID") is { Length: > 0 } azure
        ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(azure)))[..12]
        : Guid.NewGuid().ToString("N")[..12];
    private readonly Lock gate = new();
    private readonly SemaphoreSlim flushing = new(1, 1);
    private const int RecentOps = 16;

    private Dictionary<UsageKey, UsageCounts> pending = [];
    private List<Merge> unwritten = [];

    /// <summary>One answered call: replayed, limited (429), ok, client error or server error.</summary>
    public void Count(Caller caller, string action, int status, bool replayed) =>
        Add(caller.UserId, caller.KeyPrefix, action, 1, replayed ? Counter.Replayed
            : status == StatusCodes.Status429TooManyRequests ? Counter.Limited
            : status < 400 ? Counter.Ok
            : status < 500 ? Counter.ClientErrors
            : Counter.ServerErrors);

    public void Reserved(long userId, string keyPrefix, long bytes) => Add(userId, keyPrefix, string.Empty, bytes, Counter.BytesReserved);

    /// <param name="keyPrefix">The reserving key; null for a file reserved before usage was metered.</param>
    public void Uploaded(long userId, string? keyPrefix, long bytes) => Add(userId, keyPrefix ?? string.Empty, string.Empty, bytes, Counter.BytesUploaded);

    /// <summary>Adds what was counted since the last flush (and what earlier flushes could not write) to storage.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await flushing.WaitAsync(cancellationToken);
        try
        {
            // One merge a row at a time: a row whose earlier merge is still unwritten keeps its new counts here.
            List<Merge> batch = [];
            lock (gate)
            {
                var waiting = unwritten.Select(m => m.Key).ToHashSet();
                var kept = new Dictionary<UsageKey, UsageCounts>();
                batch.AddRange(unwritten);
                foreach (var (key, counts) in pending)
                {
                    if (waiting.Contains(key))
                        kept[key] = counts;
                    else
                        batch.Add(new Merge(key, counts, Guid.NewGuid().ToString("N")));
                }

                (pending, unwritten) = (kept, []);
            }

            var failed = new ConcurrentBag<Merge>();
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (merge, _) =>
            {
                try
                {
                    await MergeAsync(merge, cancellationToken);
                }
                catch (Exception e)
                {
                    failed.Add(merge); // With its operation id: if it landed after all, the row says so.
                    if (!StorageFaults.IsStorageFailure(e) && e is not (OperationCanceledException or StorageContentionException))
                        MergeFailed(logger, e);
                }
            });

            if (!failed.IsEmpty)
            {
                lock (gate)
                    unwritten.AddRange(failed);
                NotFlushed(logger, failed.Count, batch.Count);
            }
        }
        finally
        {
            flushing.Release();
        }
    }

    /// <summary>The user's counts from <paramref name="from"/> to <paramref name="to"/> (UTC days, both included), as flushed.</summary>
    public async Task<UsageReport> ReadAsync(long userId, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var lines = new Dictionary<(string? Date, string? ApiKey, string Action), UsageCounts>();
        var bytes = new UsageCounts();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Tables.Key(userId)} and RowKey ge {Day(from)} and RowKey lt {Day(to) + "~"}");
        await foreach (var row in tables.Usage.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var counts = UsageCounts.Of(row);
            bytes.Add(counts);
            if (row.GetString("Action") is { Length: > 0 } action)
            {
                var line = (row.GetString("Date"), row.GetString("ApiKey"), action);
                lines[line] = lines.TryGetValue(line, out var sum) ? sum.Add(counts) : counts;
            }
        }

        var list = lines.OrderBy(l => l.Key.Date, StringComparer.Ordinal).ThenBy(l => l.Key.ApiKey, StringComparer.Ordinal).ThenBy(l => l.Key.Action, StringComparer.Ordinal)
            .Select(l => new UsageLine(l.Key.Date, l.Key.ApiKey, l.Key.Action, l.Value[Counter.Ok], l.Value[Counter.ClientErrors], l.Value[Counter.ServerErrors], l.Value[Counter.Replayed], l.Value[Counter.Limited]))
            .ToList();
        return new UsageReport(list, bytes[Counter.BytesUploaded], bytes[Counter.BytesReserved]);
    }

    private void Add(long userId, string keyPrefix, string action, long amount, Counter counter)
    {
        if (!options.Value.Usage.Enabled)
            return;
        var key = new UsageKey(userId, Day(DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime)), keyPrefix, action, instance);
        lock (gate)
        {
            Counts(key)[counter] += amount;
        }
    }

    private UsageCounts Counts(UsageKey key)
    {
        if (!pending.TryGetValue(key, out var counts))
            pending[key] = counts = new UsageCounts();
        return counts;
    }

    /// <summary>
    /// Adds a merge's counts to its row, conditional on the ETag read. The row lists the ids of its last
    /// <see cref="RecentOps"/> merges (all of this instance, one a flush): a merge whose answer was
    /// lost, and that the SDK or a later flush tries again, finds its id there and is not counted twice.
    /// </summary>
    private async Task MergeAsync(Merge merge, CancellationToken cancellationToken) =>
        await Contention.RetryAsync(async () =>
        {
            var found = await tables.Usage.GetEntityIfExistsAsync<TableEntity>(merge.Key.Partition, merge.Key.Row, cancellationToken: cancellationToken);
            var row = found.HasValue ? found.Value! : null;
            var ops = row?.GetString("Ops")?.Split(',') ?? [];
            if (ops.Contains(merge.Op))
                return true;
            var next = row is null ? merge.Counts.WriteTo(merge.Key.NewRow()) : UsageCounts.Of(row).Add(merge.Counts).WriteTo(row);
            next["Ops"] = string.Join(',', ops.TakeLast(RecentOps - 1).Append(merge.Op));
            try
            {
                if (row is null)
                    await tables.Usage.AddEntityAsync(next, cancellationToken);
                else
                    await tables.Usage.UpdateEntityAsync(next, row.ETag, TableUpdateMode.Replace, cancellationToken);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                return false; // Another merge was first, or this one landed and its answer was lost: the row tells.
            }
        }, cancellationToken);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Counts on their way to one row, under an operation id that stays the same until they are written.</summary>
    private sealed record Merge(UsageKey Key, UsageCounts Counts, string Op);

    [LoggerMessage(EventId = 2602, Level = LogLevel.Error, Message = "A usage merge failed unexpectedly; its counts wait for the next flush")]
    private static partial void MergeFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2600, Level = LogLevel.Warning, Message = "Usage flush: {Unwritten} of {Rows} rows could not be written; they wait for the next flush")]
    private static partial void NotFlushed(ILogger logger, int unwritten, int rows);

    /// <summary>A usage row: PK the user, RK <c>{day}|{key}|{action}|{instance}</c> (<c>/</c> as <c>.</c>); bytes in the rows with no action.</summary>
    private readonly record struct UsageKey(long UserId, string Date, string KeyPrefix, string Action, string Instance)
    {
        public string Partition => Tables.Key(UserId);

        public string Row => $"{Date}|{KeyPrefix}|{Action.Replace('/', '.')}|{Instance}";

        public TableEntity NewRow() => new(Partition, Row) { ["Date"] = Date, ["ApiKey"] = KeyPrefix, ["Action"] = Action };
    }
}

/// <summary>What a usage row counts; the names are its columns.</summary>
internal enum Counter
{
    Ok,
    ClientErrors,
    ServerErrors,
    Replayed,
    Limited,
    BytesReserved,
    BytesUploaded,
}

/// <summary>The counters of one usage row.</summary>
internal sealed class UsageCounts
{
    private static readonly Counter[] All = Enum.GetValues<Counter>();
    private readonly long[] values = new long[All.Length];

    public long this[Counter counter]
    {
        get => values[(int)counter];
        set => values[(int)counter] = value;
    }

    public static UsageCounts Of(TableEntity row)
    {
        var counts = new UsageCounts();
        foreach (var counter in All)
            counts[counter] = row.GetInt64(counter.ToString()) ?? 0;
        return counts;
    }

    public UsageCounts Add(UsageCounts other)
    {
        foreach (var counter in All)
            this[counter] += other[counter];
        return this;
    }

    public TableEntity WriteTo(TableEntity row)
    {
        foreach (var counter in All)
            row[counter.ToString()] = this[counter];
        return row;
    }
}

public sealed record UsageLine(string? Date, string? ApiKey, string Action, long Ok, long ClientErrors, long ServerErrors, long Replayed, long Limited);

public sealed record UsageReport(IReadOnlyList<UsageLine> List, long BytesUploaded, long BytesReserved) : Api.ApiResponse;
