using System.Globalization;
using System.Text;
using Polly.Timeout;
using StandardWebhooks;

namespace FormFiles.Webhooks;

/// <summary>
/// One delivery attempt, as Standard Webhooks has it: <c>POST</c> of the JSON body with
/// <c>webhook-id</c>, <c>webhook-timestamp</c> and <c>webhook-signature</c> (one <c>v1,</c> entry per
/// live secret, signed by the <c>StandardWebhooks</c> package). Through the named client
/// <see cref="ClientName"/>: no redirects, private targets refused by <see cref="TargetGuard"/>, each
/// attempt limited to <c>FormFiles:Webhooks:Timeout</c> by its resilience pipeline.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, TimeProvider time)
{
    public const string ClientName = "FormFiles.Webhooks";

    public async Task<DeliveryAttempt> SendAsync(WebhookEntity endpoint, string eventId, byte[] body, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var payload = Encoding.UTF8.GetString(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("webhook-id", eventId);
        request.Headers.Add("webhook-timestamp", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", string.Join(' ', endpoint.Secrets(now).Select(secret => new StandardWebhook(secret).Sign(eventId, now, payload))));
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return new DeliveryAttempt(now, (int)response.StatusCode, response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or IOException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new DeliveryAttempt(now, null, e is TimeoutRejectedException ? "timed out" : Describe(e));
        }
    }

    private static string Describe(Exception e) => (e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message) is var text && text.Length > 500 ? text[..500] : text;
}

/// <summary>What one attempt got: the HTTP status (none when no answer came) and, unless it succeeded, why not.</summary>
public sealed record DeliveryAttempt(DateTimeOffset At, int? StatusCode, string? Error)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;

    public bool Gone => StatusCode == 410;
}
