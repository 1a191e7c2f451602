using FormFiles.Calls;
using FormFiles.Health;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>
/// The background work of design §7, as both hosts run it: reconciliation and the sweep, each on its
/// own, so that whatever stops one pass (storage gone, a bug) is logged and leaves the other, and the
/// next tick, untouched. In Azure the timer runs both side by side; the DevHost ticks each on its own interval.
/// </summary>
public sealed partial class Maintenance(Reconciliation reconciliation, Sweeper sweeper, SweepRecord record, IdempotencyKeys idempotencyKeys, Webhooks.DeliveryRetention deliveries, ILogger<Maintenance> logger)
{
    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(ReconcileAsync(cancellationToken), SweepAsync(cancellationToken));

    public Task ReconcileAsync(CancellationToken cancellationToken) => GuardAsync("reconciliation", reconciliation.RunAsync, cancellationToken);

    /// <summary>The sweep (its completion recorded for health), and beside it the purges of Idempotency-Key rows and webhook deliveries past their time.</summary>
    public Task SweepAsync(CancellationToken cancellationToken) => Task.WhenAll(
        GuardAsync("sweep", async token =>
        {
            var pass = await sweeper.RunAsync(token);
            await record.RecordAsync(pass.Counts[Sweeper.Outcome.NotYetDue] + pass.Counts[Sweeper.Outcome.Failed], token);
        }, cancellationToken),
        GuardAsync("idempotency purge", idempotencyKeys.PurgeAsync, cancellationToken),
        GuardAsync("delivery purge", deliveries.PurgeAsync, cancellationToken));

    private async Task GuardAsync(string pass, Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        try
        {
            await run(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
        catch (Exception e) when (StorageFaults.IsStorageFailure(e))
        {
            StorageDown(logger, e, pass);
        }
        catch (Exception e)
        {
            PassFailed(logger, e, pass);
        }
    }

    [LoggerMessage(EventId = 2300, Level = LogLevel.Warning, Message = "The {Pass} pass stopped: storage is not answering; the next tick tries again")]
    private static partial void StorageDown(ILogger logger, Exception exception, string pass);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Error, Message = "The {Pass} pass failed; the next tick tries again")]
    private static partial void PassFailed(ILogger logger, Exception exception, string pass);
}
