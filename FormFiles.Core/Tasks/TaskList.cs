using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Tasks;

/// <summary>
/// Each user's task list (table <c>usertasks</c>, PK user id): a copy of each task's list columns
/// (RK task id), an <c>x-{hash}-{task id}</c> index row per external id, and a <c>count</c> row with the
/// number of tasks in all and per status. The three change in one entity-group transaction, conditional
/// on the copy's and the count row's ETags, so that <c>count</c> is exact without a scan; a copy's
/// <see cref="TaskEntity.Version"/> keeps an older state from replacing a newer one, which makes every
/// write safe to repeat (a retry, the sweep's repair).
/// </summary>
public sealed class TaskList(Tables tables)
{
    private const string CountRow = "count";
    private const string TotalColumn = "Total";

    /// <summary>Makes the list show <paramref name="task"/> as it is (null: the task is gone).</summary>
    public Task SyncAsync(long userId, long taskId, TaskEntity? task, CancellationToken cancellationToken) =>
        Contention.RetryAsync(async () =>
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
                var fresh = Copy(partition, task);
                changes.Add(copy is null ? new(TableTransactionActionType.Add, fresh) : new(TableTransactionActionType.UpdateReplace, fresh, copy.ETag));
            }

            if (copy?.ExternalId != task?.ExternalId)
            {
                if (copy?.ExternalId is { } before)
                    changes.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, IndexRow(before, taskId)), ETag.All));
                if (task?.ExternalId is { } after)
                    changes.Add(new(TableTransactionActionType.UpsertReplace, new TableEntity(partition, IndexRow(after, taskId))));
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
        }, cancellationToken);

    /// <summary>
    /// A page of the user's tasks by id, and how many match. By status alone, the count comes from the
    /// count row and the page from at most <paramref name="offset"/> keys and <paramref name="limit"/> rows;
    /// with an external id, from its index rows; with a time window, from the keys that match it.
    /// </summary>
    public async Task<(List<TaskEntity> Page, int Count)> ListAsync(long userId, TaskFilter filter, int offset, int limit, CancellationToken cancellationToken)
    {
        var partition = Tables.Key(userId);
        if (filter.ExternalId is { } externalId)
        {
            var prefix = IndexRow(externalId, 0)[..^19];
            var keys = tables.UserTasks.QueryAsync<TableEntity>(
                TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {prefix} and RowKey lt {prefix[..^1] + "."}"), select: ["RowKey"], cancellationToken: cancellationToken);
            var matches = new List<TaskEntity>();
            await foreach (var key in keys)
            {
                var copy = await tables.UserTasks.GetEntityIfExistsAsync<TaskEntity>(partition, key.RowKey[prefix.Length..], cancellationToken: cancellationToken);
                if (copy.HasValue && copy.Value!.ExternalId == externalId && filter.Matches(copy.Value))
                    matches.Add(copy.Value);
            }

            return (matches.OrderBy(t => t.Id).Skip(offset).Take(limit).ToList(), matches.Count);
        }

        // The copies' keys are all digits: they sort before the count and index rows.
        var query = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey lt {"a"}") + filter.Query();
        string? skipped = null;
        long count;
        if (filter.HasWindow)
        {
            // No count row knows a window: count the keys that match, keeping the last one before the page.
            count = 0;
            await foreach (var key in tables.UserTasks.QueryAsync<TableEntity>(query, maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken))
            {
                if (++count == offset)
                    skipped = key.RowKey;
            }
        }
        else
        {
            var countRow = await tables.UserTasks.GetEntityIfExistsAsync<TableEntity>(partition, CountRow, cancellationToken: cancellationToken);
            count = !countRow.HasValue ? 0
                : filter.Statuses.Count == 0 ? countRow.Value!.GetInt64(TotalColumn) ?? 0
                : filter.Statuses.Sum(s => countRow.Value!.GetInt64(StatusColumn(s)) ?? 0);
            if (count > offset && offset > 0)
            {
                skipped = (await tables.UserTasks.QueryAsync<TableEntity>(query, maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken)
                    .Take(offset).LastOrDefaultAsync(cancellationToken))?.RowKey;
            }
        }

        if (count <= offset || (offset > 0 && skipped is null))
            return ([], (int)count);
        if (skipped is not null)
            query += " and " + TableClient.CreateQueryFilter($"RowKey gt {skipped}");
        var page = await tables.UserTasks.QueryAsync<TaskEntity>(query, maxPerPage: Math.Min(limit, 1000), cancellationToken: cancellationToken)
            .Take(limit).ToListAsync(cancellationToken);
        return (page, (int)count);
    }

    private static void Count(TableEntity counts, string status, int delta)
    {
        counts[TotalColumn] = (counts.GetInt64(TotalColumn) ?? 0) + delta;
        counts[StatusColumn(status)] = (counts.GetInt64(StatusColumn(status)) ?? 0) + delta;
    }

    private static string StatusColumn(string status) => "Status_" + status;

    /// <summary>External ids may hold any character; a key holds their SHA-256 (the copy holds the id itself).</summary>
    private static string IndexRow(string externalId, long taskId) =>
        $"x-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(externalId)))[..32]}-{Tables.Key(taskId)}";

    private static TaskEntity Copy(string partition, TaskEntity task) => new()
    {
        PartitionKey = partition,
        RowKey = Tables.Key(task.Id),
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

    public bool Matches(TaskEntity task) =>
        (Statuses.Count == 0 || Statuses.Contains(task.Status))
        && (From is not { } from || task.To is not { } end || end >= from)
        && (To is not { } to || task.From is not { } start || start <= to);

    /// <summary>The same, as a table filter to append, on the copies' bounds (an open side is the earliest or latest date).</summary>
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
