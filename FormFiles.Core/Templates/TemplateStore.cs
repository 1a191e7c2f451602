using FormFiles.Storage;

namespace FormFiles.Templates;

/// <summary>Form templates, each in its owner's partition: another user's template is simply not found.</summary>
public sealed class TemplateStore(Tables tables)
{
    internal async Task<TemplateEntity?> FindAsync(long userId, long templateId, CancellationToken cancellationToken)
    {
        var row = await tables.Templates.GetEntityIfExistsAsync<TemplateEntity>(Tables.Key(userId), Tables.Key(templateId), cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    internal async Task AddAsync(long userId, TemplateEntity template, CancellationToken cancellationToken)
    {
        template.PartitionKey = Tables.Key(userId);
        template.RowKey = Tables.Key(template.Id);
        if (!await tables.Templates.TryAddAsync(template, cancellationToken))
            throw new InvalidOperationException($"Template id {template.Id} was handed out twice");
    }

    internal async Task<List<TemplateEntity>> ListAsync(long userId, CancellationToken cancellationToken)
    {
        var list = new List<TemplateEntity>();
        var partition = Tables.Key(userId);
        await foreach (var row in tables.Templates.QueryAsync<TemplateEntity>(t => t.PartitionKey == partition, cancellationToken: cancellationToken))
            list.Add(row);
        return list;
    }

    /// <returns>False when the user has no such template.</returns>
    internal async Task<bool> DeleteAsync(long userId, long templateId, CancellationToken cancellationToken)
    {
        var response = await tables.Templates.DeleteEntityAsync(Tables.Key(userId), Tables.Key(templateId), cancellationToken: cancellationToken);
        return response.Status != 404;
    }
}
