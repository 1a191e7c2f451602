using FormFiles.Api;
using FormFiles.Storage;
using FormFiles.Tasks;

namespace FormFiles.Templates;

/// <summary>
/// A template's kick-off form (Tallyfy's checklist kick-off: values and files a template holds before any run of it) is the
/// form of a task that stands for the template: made from it on first use, labelled "Kick-off: {label}" with external_id
/// <c>kickoff-{template id}</c>, and named on the template row by an ETag-conditional write, so that callers racing to make
/// it all end up with the one that was named first (the others delete theirs).
/// </summary>
public sealed class KickoffTasks(Tables tables, TemplateStore templates, TaskStore tasks)
{
    /// <summary>The kick-off task of the caller's template (201 when there is no such template); with <paramref name="create"/> false, null while it has none.</summary>
    public Task<long?> FindAsync(long userId, long templateId, bool create, CancellationToken cancellationToken) =>
        Contention.RetryAsync<long?>(async () =>
        {
            var template = await templates.FindAsync(userId, templateId, cancellationToken) ?? throw NotFound.Template();
            if (template.KickoffTaskId is { } named && await ExistsAsync(userId, named, cancellationToken))
                return (true, named);
            if (!create)
                return (true, null);

            var made = await tasks.CreateAsync(new TaskEntity { UserId = userId, Label = $"Kick-off: {template.Label}", ExternalId = ExternalId(templateId) }, template, cancellationToken);
            var read = template.ETag;
            template.KickoffTaskId = made;
            if (await tables.Templates.TryUpdateAsync(template, read, cancellationToken))
                return (true, made); // Also when the write landed and its retry answered 412: the row carries this write's stamp.

            await tasks.DeleteAsync(userId, made, cancellationToken); // Another caller named its own first (or the template went): look again.
            return (false, null);
        }, cancellationToken);

    /// <summary>How a kick-off task is told from the others in <c>task/list</c>.</summary>
    public static string ExternalId(long templateId) => $"kickoff-{templateId}";

    /// <summary>False when the named task was deleted (<c>task/delete</c>): a new one takes its place.</summary>
    private async Task<bool> ExistsAsync(long userId, long taskId, CancellationToken cancellationToken)
    {
        try
        {
            await tasks.LoadAsync(userId, taskId, cancellationToken);
            return true;
        }
        catch (ApiException e) when (e.Code == ErrorCode.NotFound)
        {
            return false;
        }
    }
}
