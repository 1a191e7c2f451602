using FormFiles.Files;
using Microsoft.Azure.Functions.Worker;

namespace FormFiles.Functions;

/// <summary>Every five minutes: complete any upload whose event was missed (Core reconciliation).</summary>
public sealed class MaintenanceFunction(Reconciliation reconciliation)
{
    [Function(nameof(Maintenance))]
    public Task Maintenance([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        reconciliation.RunAsync(cancellationToken);
}
