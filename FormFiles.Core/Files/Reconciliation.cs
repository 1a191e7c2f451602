using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>
/// Completes every pending reservation whose blob exists (design §7): the DevHost's stand-in for
/// Event Grid, and Azure's safety net for a missed event. It reads the pending index from the
/// current minute on (what has expired is the sweep's), never lists the container, and handles at
/// most <see cref="Budget"/> reservations a pass. A reservation whose completion fails is logged and
/// backed off (<see cref="ItemBackoff"/>); the pass goes on with the others.
/// </summary>
public sealed partial class Reconciliation(Tables tables, FileBlobs blobs, UploadCompletion completion, ItemBackoff backoff, TimeProvider time, ILogger<Reconciliation> logger)
{
    public const int Budget = 500;

    /// <returns>How many reservations it completed (or settled).</returns>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var from = PendingEntity.Bucket(time.GetUtcNow());
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {from}");
        var seen = 0;
        var completed = 0;
        await foreach (var pending in tables.Pending.QueryAsync<PendingEntity>(filter, cancellationToken: cancellationToken))
        {
            if (++seen > Budget)
                break;
            if (backoff.IsWaiting(pending.FileId))
                continue;
            var name = FileBlobs.Name(pending.UserId, pending.TaskId, pending.FileId);
            var found = false;
            await backoff.RunAsync(pending.FileId, pending.TaskId, async token =>
            {
                try
                {
                    await blobs.Container.GetBlobClient(name).GetPropertiesAsync(cancellationToken: token);
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                    return; // Not uploaded (yet).
                }

                found = true;
                await completion.HandleAsync(name, token);
            }, cancellationToken);
            if (found)
                completed++;
        }

        if (completed > 0)
            Completed(logger, completed, Math.Min(seen, Budget));
        return completed;
    }

    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Reconciliation completed {Completed} of {Pending} pending reservations")]
    private static partial void Completed(ILogger logger, int completed, int pending);
}
