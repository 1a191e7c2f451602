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
public sealed partial class KickoffTasks(Tables tables, TemplateStore templates, TaskStore tasks, ILogger<KickoffTasks> logger)
{
    /// <summary>
    /// The kick-off task of the caller's template (201 when there is no such template); with <paramref name="create"/> false,
    /// null while it has none. A named task that was deleted, or lost its form, is replaced.
    /// </summary>
    public Task<long?> FindAsync(long userId, long templateId, bool create, CancellationToken cancellationToken) =>
        Contention.RetryAsync<long?>(async () =>
        {
            var template = await templates.FindAsync(userId, templateId, cancellationToken) ?? throw NotFound.Template();
            if (template.KickoffTaskId is { } named && await HasFormAsync(userId, named, cancellationToken))
                return (true, named);
            if (!create)
                return (true, null);

            var made = await tasks.CreateAsync(new TaskEntity { UserId = userId, Label = $"Kick-off: {template.Label}", ExternalId = ExternalId(templateId) }, template, cancellationToken);
            var read = template.ETag;
            template.KickoffTaskId = made;
            bool won;
            try
            {
                won = await tables.Templates.TryUpdateAsync(template, read, cancellationToken); // A write that landed and came back 412 on its retry carries this write's stamp: won.
            }
            catch
            {
                await DiscardAsync(userId, made); // Not named: nobody will use it.
                throw;
            }

            if (won)
                return (true, made);
            await DiscardAsync(userId, made); // Another caller named its own first (or the template went): look again.
            return (false, null);
        }, cancellationToken);

    /// <summary>How a kick-off task is told from the others in <c>task/list</c>.</summary>
    public static string ExternalId(long templateId) => $"kickoff-{templateId}";

    /// <summary>
    /// Deletes a task that was made but not named, whatever the request does meanwhile; a failure changes no answer (the task,
    /// empty, is left to <c>task/delete</c>: its external_id tells it).
    /// </summary>
    private async Task DiscardAsync(long userId, long taskId)
    {
        try
        {
            await tasks.DeleteAsync(userId, taskId, CancellationToken.None);
        }
        catch (Exception e) when (e is ApiException { Code: ErrorCode.NotFound } or StorageContentionException || StorageFaults.IsStorageFailure(e))
        {
            NotDiscarded(logger, taskId, e.GetType().Name);
        }
    }

    /// <summary>False when the named task was deleted (<c>task/delete</c>) or its form was (<c>task/form/delete</c>): a new one takes its place.</summary>
    private async Task<bool> HasFormAsync(long userId, long taskId, CancellationToken cancellationToken)
    {
        try
        {
            return (await tasks.LoadAsync(userId, taskId, cancellationToken)).FormId is not null;
        }
        catch (ApiException e) when (e.Code == ErrorCode.NotFound)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 2720, Level = LogLevel.Warning, Message = "A kick-off task {TaskId} that lost its race could not be deleted ({Error}); task/delete removes it")]
    private static partial void NotDiscarded(ILogger logger, long taskId, string error);
}
