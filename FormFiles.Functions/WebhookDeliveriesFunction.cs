using Microsoft.Azure.Functions.Worker;

namespace FormFiles.Functions;

/// <summary>
/// Every 30 seconds: webhook deliveries that are due (retries, and any the in-process runner has not
/// reached), so that they go out when no instance happens to be awake (Core <see cref="Webhooks.WebhookDeliveries"/>).
/// </summary>
public sealed class WebhookDeliveriesFunction(Webhooks.WebhookDeliveries deliveries)
{
    [Function("WebhookDeliveries")]
    public Task WebhookDeliveries([TimerTrigger("*/30 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        deliveries.RunDueAsync(cancellationToken);
}
