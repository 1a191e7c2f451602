using FormFiles.Files;
using Microsoft.Extensions.Options;

namespace FormFiles.DevHost;

/// <summary>
/// The DevHost's stand-in for the Azure timer and Event Grid: one Core <see cref="Maintenance"/> pass
/// every interval, on the service's clock. Core keeps any failure of a pass inside that pass.
/// </summary>
internal abstract class MaintenanceLoop(TimeSpan interval, TimeProvider time) : BackgroundService
{
    protected abstract Task RunPassAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await RunPassAsync(stoppingToken);
    }
}

/// <summary>Reconciliation every <c>FormFiles:ReconcileInterval</c>: how uploads complete locally, where there is no Event Grid.</summary>
internal sealed class ReconciliationLoop(Maintenance maintenance, IOptions<FormFilesOptions> options, TimeProvider time)
    : MaintenanceLoop(options.Value.ReconcileInterval, time)
{
    protected override Task RunPassAsync(CancellationToken cancellationToken) => maintenance.ReconcileAsync(cancellationToken);
}

/// <summary>The sweep every <c>FormFiles:SweepInterval</c>.</summary>
internal sealed class SweepLoop(Maintenance maintenance, IOptions<FormFilesOptions> options, TimeProvider time)
    : MaintenanceLoop(options.Value.SweepInterval, time)
{
    protected override Task RunPassAsync(CancellationToken cancellationToken) => maintenance.SweepAsync(cancellationToken);
}
