using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Storage;

namespace FormFiles.Templates;

/// <summary>
/// Form templates, each in its owner's partition: another user's template is simply not found. At most
/// <see cref="MaxPerUser"/> a user: a count row changes in the same transaction as each add and delete.
/// </summary>
public sealed class TemplateStore(Tables tables, Turns turns)
{
    public const int MaxPerUser = 1000;

    /// <summary>The most templates a page holds (each up to 64 KiB of fields: about 3.3 MB at most).</summary>
    public const int MaxPage = 50;

    private const string CountRow = "count";
    private const string CountColumn = "Templates";

    internal async Task<TemplateEntity?> FindAsync(long userId, long templateId, CancellationToken cancellationToken)
    {
        var row = await tables.Templates.GetEntityIfExistsAsync<TemplateEntity>(Tables.Key(userId), Tables.Key(templateId), cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>Adds the template, or 7 when the user has <see cref="MaxPerUser"/> already.</summary>
    internal Task AddAsync(long userId, TemplateEntity template, CancellationToken cancellationToken)
    {
        template.PartitionKey = Tables.Key(userId);
        template.RowKey = Tables.Key(template.Id);
        return turns.TakeAsync(TurnOf(userId), () => Contention.RetryAsync(async () =>
        {
            var (count, counted) = await CountAsync(userId, cancellationToken);
            if (counted >= MaxPerUser)
                throw ApiException.InvalidParameter("template", $"cannot be added: a user has at most {MaxPerUser} templates");
            count[CountColumn] = counted + 1;
            return await tables.Templates.TrySubmitAsync(
                [new(TableTransactionActionType.UpdateReplace, count, count.ETag), new TableTransactionAction(TableTransactionActionType.Add, template)], template, cancellationToken);
        }, cancellationToken), cancellationToken);
    }

    /// <summary>A page of the user's templates by id, after <paramref name="after"/>, and the id to go on after when more follow.</summary>
    internal async Task<(List<TemplateEntity> Page, long? Next)> ListAsync(long userId, long? after, int limit, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Tables.Key(userId)} and RowKey gt {(after is { } id ? Tables.Key(id) : string.Empty)} and RowKey lt {"a"}");
        var (page, more) = await tables.Templates.QueryAsync<TemplateEntity>(filter, maxPerPage: limit + 1, cancellationToken: cancellationToken).PageAsync(limit, cancellationToken);
        return (page, more ? page[^1].Id : null);
    }

    /// <returns>False when the user has no such template.</returns>
    internal async Task<bool> DeleteAsync(long userId, long templateId, CancellationToken cancellationToken)
    {
        var (tried, deleted) = (false, false);
        await turns.TakeAsync(TurnOf(userId), () => Contention.RetryAsync(async () =>
        {
            var template = await FindAsync(userId, templateId, cancellationToken);
            if (template is null)
            {
                deleted = tried; // None, or gone with an earlier attempt whose answer was lost.
                return true;
            }

            var (count, counted) = await CountAsync(userId, cancellationToken);
            count[CountColumn] = Math.Max(0, counted - 1);
            tried = true;
            try
            {
                await tables.Templates.SubmitTransactionAsync(
                    [new(TableTransactionActionType.UpdateReplace, count, count.ETag), new TableTransactionAction(TableTransactionActionType.Delete, template, template.ETag)], cancellationToken);
                return deleted = true;
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
            {
                return false; // Changed meanwhile, or landed on a retry: look again.
            }
        }, cancellationToken), cancellationToken);
        return deleted;
    }

    private static string TurnOf(long userId) => $"templates/{userId}";

    private async Task<(TableEntity Row, long Count)> CountAsync(long userId, CancellationToken cancellationToken)
    {
        var row = await tables.Templates.GetOrAddAsync(new TableEntity(Tables.Key(userId), CountRow) { [CountColumn] = 0L }, cancellationToken);
        return (row, row.GetInt64(CountColumn) ?? 0);
    }
}
