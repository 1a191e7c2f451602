using FormFiles.Files;
using Microsoft.Azure.Functions.Worker;

namespace FormFiles.Functions;

/// <summary>Every five minutes: complete uploads whose event was missed, then sweep (Core reconciliation and sweeper).</summary>
public sealed class MaintenanceFunction(Reconciliation reconciliation, Sweeper sweeper)
{
    [Function(nameof(Maintenance))]
    public async Task Maintenance([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        await reconciliation.RunAsync(cancellationToken);
        await sweeper.RunAsync(cancellationToken);
    }
}
