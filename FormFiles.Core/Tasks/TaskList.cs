using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Tasks;

/// <summary>
/// Each user's task list (table <c>usertasks</c>, PK user id): a copy of each task's list columns
/// (RK task id), another copy under <c>x-{hash}-{task id}</c> for a task with an external id, and
/// <c>count</c> rows with the number of tasks in all and per status (<c>count</c>, and <c>xc-{hash}</c> per
/// external id). They change in one entity-group transaction, conditional on the copy's and the count
/// rows' ETags, so that every count is exact without a scan; a copy's
/// <see cref="TaskEntity.Version"/> keeps an older state from replacing a newer one, which makes every
/// write safe to repeat (a retry, the sweep's repair).
/// </summary>
public sealed class TaskList(Tables tables, Turns turns)
{
    private const string CountRow = "count";
    private const string TotalColumn = "Total";

    /// <summary>Makes the list show <paramref name="task"/> as it is (null: the task is gone).</summary>
    public Task SyncAsync(long userId, long taskId, TaskEntity? task, CancellationToken cancellationToken) =>
        turns.TakeAsync($"usertasks/{userId}", () => Contention.RetryAsync(async () =>
        {
            var partition = Tables.Key(userId);
            var stored = await tables.UserTasks.GetEntityIfExistsAsync<TaskEntity>(partition, Tables.Key(taskId), cancellationToken: cancellationToken);
            var copy = stored.HasValue ? stored.Value : null;
            if (task is null ? copy is null : copy is not null && copy.Version >= task.Version)
                return true;

            var counts = await tables.UserTasks.GetOrAddAsync(new TableEntity(partition, CountRow) { [TotalColumn] = 0L }, cancellationToken);
            var changes = new List<TableTransactionAction>();
            if (copy is not null)
                Count(counts, copy.Status, -1);
            if (task is null)
                changes.Add(new(TableTransactionActionType.Delete, copy!, copy!.ETag));
            else
            {
                Count(counts, task.Status, +1);
                var fresh = Copy(partition, Tables.Key(task.Id), task);
                changes.Add(copy is null ? new(TableTransactionActionType.Add, fresh) : new(TableTransactionActionType.UpdateReplace, fresh, copy.ETag));
            }

            // An external id's index rows are copies too, with a count row of their own: its list pages and counts like the whole one.
            var (before, after) = (copy?.ExternalId, task?.ExternalId);
            if (before is not null && before != after)
                changes.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, IndexRow(before, taskId)), ETag.All));
            if (after is not null)
                changes.Add(new(TableTransactionActionType.UpsertReplace, Copy(partition, IndexRow(after, taskId), task!)));
            foreach (var externalId in new[] { before, after }.OfType<string>().Distinct())
            {
                var external = await tables.UserTasks.GetOrAddAsync(new TableEntity(partition, CountRowOf(externalId)) { [TotalColumn] = 0L }, cancellationToken);
                if (before == externalId)
                    Count(external, copy!.Status, -1);
                if (after == externalId)
                    Count(external, task!.Status, +1);
                changes.Add(new(TableTransactionActionType.UpdateReplace, external, external.ETag));
            }

            changes.Add(new(TableTransactionActionType.UpdateReplace, counts, counts.ETag));
            try
            {
                await tables.UserTasks.SubmitTransactionAsync(changes, cancellationToken);
                return true;
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
            {
                return false; // Another change of this user's list came first (or this one landed): compare again.
            }
        }, cancellationToken), cancellationToken);

    /// <summary>
    /// A page of the user's tasks by id after <paramref name="after"/> (a previous page's <c>next</c>), skipping
    /// <paramref name="offset"/> more, how many match, and the id to go on after when more may follow. An external id
    /// reads its own index copies, the whole list the copies: the page costs O(limit), the offset O(offset / 1000),
    /// and the count one row read. Statuses and a window are decided on a scan of at most <see cref="MaxScanned"/> rows
    /// (the window's count too: it counts the matches among them).
    /// </summary>
    public async Task<TaskPage> ListAsync(long userId, TaskFilter filter, long? after, int offset, int limit, CancellationToken cancellationToken)
    {
        var partition = Tables.Key(userId);
        // The copies' keys are all digits: they sort before the count and index rows. An external id's copies share a prefix.
        var (from, below) = filter.ExternalId is { } externalId
            ? (IndexRow(externalId, 0)[..^19], IndexRow(externalId, 0)[..^20] + ".")
            : (string.Empty, "a");
        var query = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {from} and RowKey lt {below}");

        long count;
        if (filter.HasWindow)
        {
            count = 0;
            await ScanAsync(query, filter, _ => ++count < long.MaxValue, cancellationToken);
        }
        else
        {
            var countRow = await tables.UserTasks.GetEntityIfExistsAsync<TableEntity>(partition, filter.ExternalId is { } id ? CountRowOf(id) : CountRow, cancellationToken: cancellationToken);
            count = !countRow.HasValue ? 0
                : filter.Statuses.Count == 0 ? countRow.Value!.GetInt64(TotalColumn) ?? 0
                : filter.Statuses.Sum(s => countRow.Value!.GetInt64(StatusColumn(s)) ?? 0);
        }

        if (after is { } cursor)
            query += " and " + TableClient.CreateQueryFilter($"RowKey gt {from + Tables.Key(cursor)}");
        var (page, next) = filter.Statuses.Count > 0 || filter.HasWindow
            ? await FilteredPageAsync(query, filter, offset, limit, cancellationToken)
            : await PageAsync(query, offset, limit, cancellationToken);
        // Of another external id with the same hash (2^-128): never shown. (Not in the query: an id may be as long as a URL allows.)
        return new TaskPage(filter.ExternalId is { } exact ? page.Where(t => t.ExternalId == exact).ToList() : page, (int)count, next);
    }

    /// <summary>The most rows a filtered list call scans (10 storage pages): its page and a window's count stop there.</summary>
    public const int MaxScanned = 10_000;

    /// <summary>A page of the whole list (or an external id's): the offset's keys, then the page and a row more.</summary>
    private async Task<(List<TaskEntity> Page, long? Next)> PageAsync(string query, int offset, int limit, CancellationToken cancellationToken)
    {
        if (offset > 0)
        {
            var skipped = await tables.UserTasks.QueryAsync<TableEntity>(query, maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken)
                .Take(offset).ToListAsync(cancellationToken);
            if (skipped.Count < offset)
                return ([], null);
            query += " and " + TableClient.CreateQueryFilter($"RowKey gt {skipped[^1].RowKey}");
        }

        var (page, more) = await tables.UserTasks.QueryAsync<TaskEntity>(query, maxPerPage: Math.Min(limit + 1, 1000), cancellationToken: cancellationToken).PageAsync(limit, cancellationToken);
        return (page, more ? page[^1].Id : null);
    }

    /// <summary>
    /// A page filtered on statuses or a window. Storage filters scan (on Azure a storage page holds 1,000 scanned rows,
    /// however few match), so the rows' keys and filter columns are scanned here, at most <see cref="MaxScanned"/>; then
    /// one query reads the matches between the first and the last. Where the scan stops short, next goes on after it.
    /// </summary>
    private async Task<(List<TaskEntity> Page, long? Next)> FilteredPageAsync(string query, TaskFilter filter, int offset, int limit, CancellationToken cancellationToken)
    {
        var matches = new List<string>();
        var (last, complete) = await ScanAsync(query, filter, row =>
        {
            if (offset > 0)
                offset--;
            else
                matches.Add(row);
            return matches.Count <= limit;
        }, cancellationToken);
        var next = matches.Count > limit ? IdOf(matches[limit - 1]) : complete || last is null ? (long?)null : IdOf(last);
        if (matches.Count == 0)
            return ([], next);
        var (first, end) = (matches[0], matches[Math.Min(limit, matches.Count) - 1]);
        var page = await tables.UserTasks.QueryAsync<TaskEntity>(query + " and " + TableClient.CreateQueryFilter($"RowKey ge {first} and RowKey le {end}") + filter.Query(),
            maxPerPage: Math.Min(limit, 1000), cancellationToken: cancellationToken).Take(limit).ToListAsync(cancellationToken);
        // A full page may have been cut: a task that came to match since the scan. Going on after the last shown skips none.
        return (page, page.Count == limit ? page[^1].Id : next);
    }

    /// <summary>
    /// Scans the rows of <paramref name="query"/> (keys and filter columns) for those that <paramref name="filter"/> matches,
    /// up to <see cref="MaxScanned"/>, while <paramref name="match"/> says go on.
    /// </summary>
    /// <returns>The last row scanned, and whether the scan reached the end of the query.</returns>
    private async Task<(string? Last, bool Complete)> ScanAsync(string query, TaskFilter filter, Func<string, bool> match, CancellationToken cancellationToken)
    {
        string? last = null;
        var pages = 0;
        await foreach (var storagePage in tables.UserTasks.QueryAsync<TableEntity>(query, maxPerPage: 1000, select: ["RowKey", "Status", "ListFrom", "ListTo"], cancellationToken: cancellationToken).AsPages())
        {
            foreach (var row in storagePage.Values)
            {
                last = row.RowKey;
                if (filter.Matches(row) && !match(row.RowKey))
                    return (last, false);
            }

            if (storagePage.ContinuationToken is null)
                return (last, true);
            if (++pages * 1000 >= MaxScanned)
                return (last, false);
        }

        return (last, true);
    }

    /// <summary>The task id at the end of a copy's row key (its own, or an external id's copy).</summary>
    private static long IdOf(string row) => long.Parse(row[^19..], System.Globalization.CultureInfo.InvariantCulture);

    private static void Count(TableEntity counts, string status, int delta)
    {
        counts[TotalColumn] = (counts.GetInt64(TotalColumn) ?? 0) + delta;
        counts[StatusColumn(status)] = (counts.GetInt64(StatusColumn(status)) ?? 0) + delta;
    }

    private static string StatusColumn(string status) => "Status_" + status;

    /// <summary>External ids may hold any character; a key holds their SHA-256 (the copy holds the id itself).</summary>
    internal static string IndexRow(string externalId, long taskId) => $"x-{Hash(externalId)}-{Tables.Key(taskId)}";

    /// <summary>An external id's count row: <c>xc-</c> sorts after every <c>x-</c> index row.</summary>
    internal static string CountRowOf(string externalId) => $"xc-{Hash(externalId)}";

    private static string Hash(string externalId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(externalId)))[..32];

    private static TaskEntity Copy(string partition, string row, TaskEntity task) => new()
    {
        PartitionKey = partition,
        RowKey = row,
        Id = task.Id,
        UserId = task.UserId,
        Label = task.Label,
        Description = task.Description,
        ExternalId = task.ExternalId,
        From = task.From,
        To = task.To,
        ListFrom = task.From ?? TaskFilter.Earliest,
        ListTo = task.To ?? TaskFilter.Latest,
        Status = task.Status,
        Created = task.Created,
        StatusChanged = task.StatusChanged,
        Version = task.Version,
    };
}

/// <summary>A page of <c>task/list</c>: its tasks, how many match, and the id to go on after (null on the last page).</summary>
public sealed record TaskPage(List<TaskEntity> Tasks, int Count, long? Next);

/// <summary>
/// What <c>task/list</c> filters on: statuses (none: all), an external id, and Navixy's window: a task is
/// actual after <see cref="From"/> when it does not end before it, and before <see cref="To"/> when it
/// does not start after it (a task without a bound is open on that side).
/// </summary>
public sealed record TaskFilter(IReadOnlyCollection<string> Statuses, string? ExternalId = null, DateTimeOffset? From = null, DateTimeOffset? To = null)
{
    /// <summary>The bounds of Table Storage's dates, which stand for an open side on a list copy.</summary>
    public static readonly DateTimeOffset Earliest = new(1601, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset Latest = new(9999, 12, 31, 0, 0, 0, TimeSpan.Zero);

    public bool HasWindow => From is not null || To is not null;

    /// <summary>Whether a copy's filter columns match, as <see cref="Query"/> would have storage decide.</summary>
    public bool Matches(TableEntity row) =>
        (Statuses.Count == 0 || Statuses.Contains(row.GetString("Status")!))
        && (From is not { } from || row.GetDateTimeOffset("ListTo") >= from)
        && (To is not { } to || row.GetDateTimeOffset("ListFrom") <= to);

    /// <summary>The statuses and the window, as a table filter to append, on the copies' bounds (an open side is the earliest or latest date).</summary>
    public string Query()
    {
        var query = string.Empty;
        if (Statuses.Count > 0)
            query += " and (" + string.Join(" or ", Statuses.Select(s => TableClient.CreateQueryFilter($"Status eq {s}"))) + ")";
        if (From is { } from)
            query += " and " + TableClient.CreateQueryFilter($"ListTo ge {from}");
        if (To is { } to)
            query += " and " + TableClient.CreateQueryFilter($"ListFrom le {to}");
        return query;
    }
}
