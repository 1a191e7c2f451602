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
    /// A page of the user's tasks by id, and how many match: the count from the count row (or, with an
    /// external id, from its index rows), the page by reading at most <paramref name="offset"/> keys and
    /// <paramref name="limit"/> rows, never the whole list.
    /// </summary>
    public async Task<(List<TaskEntity> Page, int Count)> ListAsync(
        long userId, IReadOnlyCollection<string> statuses, string? externalId, int offset, int limit, CancellationToken cancellationToken)
    {
        var partition = Tables.Key(userId);
        if (externalId is not null)
        {
            var prefix = IndexRow(externalId, 0)[..^19];
            var keys = tables.UserTasks.QueryAsync<TableEntity>(
                TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {prefix} and RowKey lt {prefix[..^1] + "."}"), select: ["RowKey"], cancellationToken: cancellationToken);
            var matches = new List<TaskEntity>();
            await foreach (var key in keys)
            {
                var copy = await tables.UserTasks.GetEntityIfExistsAsync<TaskEntity>(partition, key.RowKey[prefix.Length..], cancellationToken: cancellationToken);
                if (copy.HasValue && copy.Value!.ExternalId == externalId && (statuses.Count == 0 || statuses.Contains(copy.Value.Status)))
                    matches.Add(copy.Value);
            }

            return (matches.OrderBy(t => t.Id).Skip(offset).Take(limit).ToList(), matches.Count);
        }

        var countRow = await tables.UserTasks.GetEntityIfExistsAsync<TableEntity>(partition, CountRow, cancellationToken: cancellationToken);
        var count = !countRow.HasValue ? 0
            : statuses.Count == 0 ? countRow.Value!.GetInt64(TotalColumn) ?? 0
            : statuses.Sum(s => countRow.Value!.GetInt64(StatusColumn(s)) ?? 0);
        if (count <= offset)
            return ([], (int)count);

        // The copies' keys are all digits: they sort before the count and index rows.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey lt {"a"}");
        if (statuses.Count > 0)
            filter += " and (" + string.Join(" or ", statuses.Select(s => TableClient.CreateQueryFilter($"Status eq {s}"))) + ")";
        if (offset > 0)
        {
            var skipped = await tables.UserTasks.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken)
                .Take(offset).LastOrDefaultAsync(cancellationToken);
            if (skipped is null)
                return ([], (int)count);
            filter += " and " + TableClient.CreateQueryFilter($"RowKey gt {skipped.RowKey}");
        }

        var page = await tables.UserTasks.QueryAsync<TaskEntity>(filter, maxPerPage: limit, cancellationToken: cancellationToken)
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
        Status = task.Status,
        Created = task.Created,
        StatusChanged = task.StatusChanged,
        Version = task.Version,
    };
}
