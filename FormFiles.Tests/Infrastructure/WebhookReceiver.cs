using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using StandardWebhooks;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// A webhook receiver on loopback, inside the test: records every delivery and answers as told
/// (<see cref="Respond"/>, by the attempt number of that event id), or drops the connection while
/// <see cref="Down"/>.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, int> attempts = new();

    /// <summary>A path of its own: a port can be reused by a later test, and earlier tests' endpoints may still be retried there.</summary>
    private readonly string path = "/hook/" + Guid.NewGuid().ToString("N");

    private WebhookReceiver(WebApplication app) => this.app = app;

    public ConcurrentQueue<Delivery> Received { get; } = new();

    /// <summary>The HTTP status for the <c>n</c>th attempt (1-based) of an event id; 200 by default.</summary>
    public Func<string, int, int> Respond { get; set; } = (_, _) => 200;

    public bool Down { get; set; }

    public Uri Url => new(app.Urls.First().TrimEnd('/') + path);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost(receiver.path, async context =>
        {
            if (receiver.Down)
            {
                context.Abort();
                return;
            }

            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var id = context.Request.Headers["webhook-id"].ToString();
            var attempt = receiver.attempts.AddOrUpdate(id, 1, (_, n) => n + 1);
            var status = receiver.Respond(id, attempt);
            ApiConformance.CheckWebhook(System.Text.Encoding.UTF8.GetString(body.ToArray()), record: true);
            receiver.Received.Enqueue(new Delivery(id, context.Request.Headers["webhook-timestamp"].ToString(), context.Request.Headers["webhook-signature"].ToString(),
                context.Request.ContentType, System.Text.Encoding.UTF8.GetString(body.ToArray()), attempt, status));
            context.Response.StatusCode = status;
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Polls until <paramref name="condition"/> holds on what arrived (or 20 s pass); returns what arrived.</summary>
    public async Task<List<Delivery>> WaitForAsync(Func<List<Delivery>, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30); // Only a failing wait lasts this long; a loaded machine may need it.
        while (!condition([.. Received]) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        return [.. Received];
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();

    public sealed record Delivery(string Id, string Timestamp, string Signature, string? ContentType, string Body, int Attempt, int Status)
    {
        public System.Text.Json.Nodes.JsonObject Json => System.Text.Json.Nodes.JsonNode.Parse(Body)!.AsObject();

        public string Type => Json["type"]!.GetValue<string>();

        /// <summary>Whether the signature entry at <paramref name="index"/> verifies under <paramref name="secret"/> (with the StandardWebhooks package, one entry at a time).</summary>
        public bool VerifiesWith(string secret, int index = 0)
        {
            var headers = new HeaderDictionary
            {
                ["webhook-id"] = Id,
                ["webhook-timestamp"] = Timestamp,
                ["webhook-signature"] = Signature.Split(' ')[index],
            };
            try
            {
                new StandardWebhook(secret).Verify(Body, headers);
                return true;
            }
            catch (StandardWebhooks.Diagnostics.WebhookVerificationException)
            {
                return false;
            }
        }
    }
}
