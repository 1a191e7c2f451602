using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FormFiles.DevHost.Azurite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FormFiles.Bench;

/// <summary>
/// Webhooks (issue 13), on the DevHost over Azurite, with two receivers on loopback:
/// <list type="number">
/// <item>latency from the change (an upload accepted: the event's timestamp) to the receiver's first
/// attempt, over sequential uploads;</item>
/// <item>events per second delivered to a fast endpoint alone, then while another endpoint, fed as
/// many events at the same time, never answers (every attempt to it times out).</item>
/// </list>
/// </summary>
public static class WebhookBenchmark
{
    private const int Uploads = 100;
    private const int Events = 300;

    public static async Task RunAsync()
    {
        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        await using var azurite = await AzuriteProcess.StartAsync(root, persistFolder: null, Console.Out);
        await using var devHost = new BenchHost.DevHost(azurite.ConnectionString, new StorageRequestCounter(), settings: new Dictionary<string, string>
        {
            ["FormFiles:ReconcileInterval"] = "1.00:00:00",
            ["FormFiles:SweepInterval"] = "1.00:00:00",
            ["FormFiles:Webhooks:AllowPrivateTargets"] = "true",
            ["FormFiles:Webhooks:Timeout"] = "00:00:05",
        });
        devHost.StartServer();
        using var client = devHost.CreateClient();
        await using var fast = await Receiver.StartAsync(TimeSpan.Zero);
        await using var stuck = await Receiver.StartAsync(Timeout.InfiniteTimeSpan);

        // 1. Change → first attempt.
        var user = await BenchHost.Setup.UserWithTasksAsync(client, Uploads / 5 + 1);
        await SubscribeAsync(client, user.Hash, fast.Url, "file.uploaded");
        for (var i = 0; i < Uploads; i++)
            await UploadAsync(client, user, i);
        await fast.WaitAsync(Uploads);
        var latencies = fast.Arrivals.Values.Select(a => (a.At - a.EventTime).TotalMilliseconds).Order().ToArray();

        // 2. A fast endpoint alone, then beside one that never answers.
        var alone = await ThroughputAsync(client, fast, null);
        var beside = await ThroughputAsync(client, fast, stuck);

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"upload accepted → first attempt, {latencies.Length} uploads: p50 {Percentile(latencies, 0.5):F0} ms, p99 {Percentile(latencies, 0.99):F0} ms, max {latencies[^1]:F0} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Events} events to a fast endpoint: alone {alone:F0}/s; while another endpoint times out on {Events} of its own: {beside:F0}/s ({beside / alone:F2}×)"));
    }

    /// <summary>Queues <see cref="Events"/> test events to <paramref name="fast"/> (and as many to <paramref name="stuck"/>, first) and measures the fast one's delivery rate.</summary>
    private static async Task<double> ThroughputAsync(HttpClient client, Receiver fast, Receiver? stuck)
    {
        var user = await BenchHost.Setup.UserWithTasksAsync(client, 0);
        var fastId = await SubscribeAsync(client, user.Hash, fast.Url, "*");
        fast.Clear();
        if (stuck is not null)
        {
            var stuckId = await SubscribeAsync(client, user.Hash, stuck.Url, "*");
            await Measurement.RunAsync("stuck", 8, Events / 8, (_, _) => BenchHost.Setup.CallAsync(client, user.Hash, "webhook/test", new JsonObject { ["webhook_id"] = stuckId }));
        }

        var clock = Stopwatch.StartNew();
        await Measurement.RunAsync("fast", 8, Events / 8, (_, _) => BenchHost.Setup.CallAsync(client, user.Hash, "webhook/test", new JsonObject { ["webhook_id"] = fastId }));
        await fast.WaitAsync(Events / 8 * 8);
        return fast.Arrivals.Count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<long> SubscribeAsync(HttpClient client, string hash, Uri url, string events) =>
        (await BenchHost.Setup.CallAsync(client, hash, "webhook/create", new JsonObject { ["url"] = url.AbsoluteUri, ["events"] = new JsonArray(events) }))["id"]!.GetValue<long>();

    private static async Task UploadAsync(HttpClient client, BenchHost.Setup.BenchUser user, int i)
    {
        var reserved = await BenchHost.Setup.CallAsync(client, user.Hash, "task/form/file/create", new JsonObject { ["task_id"] = user.Tasks[i / 5], ["field_id"] = "photo", ["size"] = 1000, ["filename"] = "p.jpg" });
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(reserved["value"]!["fields"]!["token"]!.GetValue<string>()), "token");
        var jpeg = new byte[600];
        (jpeg[0], jpeg[1], jpeg[2]) = (0xFF, 0xD8, 0xFF);
        form.Add(new ByteArrayContent(jpeg), "file", "p.jpg");
        using var response = await client.PostAsync("/v2/task/form/file/upload", form);
        response.EnsureSuccessStatusCode();
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>A receiver on loopback that answers 200 after <c>delay</c> (never, for an infinite one) and records first arrivals.</summary>
    private sealed class Receiver(WebApplication app) : IAsyncDisposable
    {
        public ConcurrentDictionary<string, (DateTimeOffset At, DateTimeOffset EventTime)> Arrivals { get; } = new();

        public Uri Url => new(app.Urls.First().TrimEnd('/') + "/hook");

        public static async Task<Receiver> StartAsync(TimeSpan delay)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.MapPost("/hook", async context =>
            {
                var at = DateTimeOffset.UtcNow;
                var body = await JsonNode.ParseAsync(context.Request.Body);
                receiver.Arrivals.TryAdd(context.Request.Headers["webhook-id"].ToString(), (at, DateTimeOffset.Parse(body!["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture)));
                if (delay != TimeSpan.Zero)
                    await Task.Delay(delay, context.RequestAborted);
            });
            await app.StartAsync();
            return receiver;
        }

        public void Clear() => Arrivals.Clear();

        public async Task WaitAsync(int count)
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (Arrivals.Count < count && DateTime.UtcNow < deadline)
                await Task.Delay(20);
        }

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
