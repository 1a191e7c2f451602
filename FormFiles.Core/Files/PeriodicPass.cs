using FormFiles.Storage;
using Microsoft.Extensions.Hosting;

namespace FormFiles.Files;

/// <summary>Runs one maintenance pass every interval, on the service's clock, until the host stops; a storage failure waits for the next tick.</summary>
public abstract partial class PeriodicPass(TimeSpan interval, TimeProvider time, ILogger logger) : BackgroundService
{
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (StorageFaults.IsStorageFailure(e))
            {
                PassFailed(logger, e, GetType().Name);
            }
        }
    }

    [LoggerMessage(EventId = 2300, Level = LogLevel.Warning, Message = "A {Pass} pass failed; the next tick tries again")]
    private static partial void PassFailed(ILogger logger, Exception exception, string pass);
}

/// <summary>The DevHost's completion trigger: <see cref="Reconciliation"/> every <c>FormFiles:ReconcileInterval</c>.</summary>
public sealed class ReconciliationLoop(Reconciliation reconciliation, IOptions<FormFilesOptions> options, TimeProvider time, ILogger<ReconciliationLoop> logger)
    : PeriodicPass(options.Value.ReconcileInterval, time, logger)
{
    protected override Task RunOnceAsync(CancellationToken cancellationToken) => reconciliation.RunAsync(cancellationToken);
}

/// <summary>The DevHost's sweep: <see cref="Sweeper"/> every <c>FormFiles:SweepInterval</c>.</summary>
public sealed class SweepLoop(Sweeper sweeper, IOptions<FormFilesOptions> options, TimeProvider time, ILogger<SweepLoop> logger)
    : PeriodicPass(options.Value.SweepInterval, time, logger)
{
    protected override Task RunOnceAsync(CancellationToken cancellationToken) => sweeper.RunAsync(cancellationToken);
}
