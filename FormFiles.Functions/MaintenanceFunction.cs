using Microsoft.Azure.Functions.Worker;

namespace FormFiles.Functions;

/// <summary>Every five minutes: reconciliation (missed completion events) and the sweep, side by side (Core <see cref="Files.Maintenance"/>).</summary>
public sealed class MaintenanceFunction(Files.Maintenance maintenance)
{
    /// <summary>The timer's period, which health judges the sweep by (<c>FormFiles:SweepInterval</c>).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    [Function(nameof(Maintenance))]
    public Task Maintenance([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        maintenance.RunAsync(cancellationToken);
}
