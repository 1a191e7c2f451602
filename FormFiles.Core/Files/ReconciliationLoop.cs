using Azure;
using Microsoft.Extensions.Hosting;

namespace FormFiles.Files;

/// <summary>Runs <see cref="Reconciliation"/> every <c>FormFiles:ReconcileInterval</c> (the DevHost's completion trigger).</summary>
public sealed partial class ReconciliationLoop(Reconciliation reconciliation, IOptions<FormFilesOptions> options, TimeProvider time, ILogger<ReconciliationLoop> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReconcileInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await reconciliation.RunAsync(stoppingToken);
            }
            catch (RequestFailedException e)
            {
                PassFailed(logger, e); // Storage trouble: the next tick tries again.
            }
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "A reconciliation pass failed")]
    private static partial void PassFailed(ILogger logger, Exception exception);
}
