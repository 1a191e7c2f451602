using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FormFiles.Tests.Infrastructure;
using FormFiles.Tests.OpenApi;

namespace FormFiles.Tests.Functions;

/// <summary>
/// Every action once, both dialects' routes and health (the OpenAPI sample collection), through the real worker and
/// through the DevHost, each on fresh storage of its own: call by call, the same HTTP status and the same envelope (its
/// keys and kinds of values, success and codes, array elements' shapes).
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed partial class WorkerEnvelopeTests(ServiceFixture service)
{
    [Fact]
    public async Task The_worker_answers_every_sample_call_as_the_devhost_does()
    {
        var settings = new Dictionary<string, string?>(ServiceFixture.FastWebhooks) { ["FormFiles:Webhooks:AllowPrivateTargets"] = "true", ["FormFiles:SweepInterval"] = "1.00:00:00" };
        foreach (var (key, value) in service.NewStorage().Settings)
            settings[key] = value;
        await using var devHost = new FormFilesFactory(settings);
        devHost.StartServer();
        var throughDevHost = await SampleAsync(devHost.CreateClient().BaseAddress!);

        await using var worker = await Worker.StartAsync(service.NewStorage());
        var throughWorker = await SampleAsync(worker.Host.BaseAddress);

        Assert.True(throughDevHost.Count > 200, $"only {throughDevHost.Count} calls");
        var differences = throughDevHost.Zip(throughWorker).Select((pair, i) => (i, pair.First, pair.Second)).Where(d => d.First != d.Second).ToList();
        Assert.True(differences.Count == 0 && throughDevHost.Count == throughWorker.Count,
            $"{throughDevHost.Count} calls through the DevHost, {throughWorker.Count} through the worker; differing:\n"
            + string.Join("\n", differences.Take(10).Select(d => $"#{d.i}\n  devhost: {d.First}\n  worker:  {d.Second}")) + "\n" + worker.Host.WorkerOutput[^Math.Min(4000, worker.Host.WorkerOutput.Length)..]);
    }

    private static async Task<List<string>> SampleAsync(Uri baseAddress)
    {
        var recorder = new AnswerRecorder { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false } };
        using var client = new HttpClient(recorder) { BaseAddress = baseAddress };
        await new OperationSamples(client).SendAllAsync();
        return recorder.Answers;
    }

    /// <summary>
    /// An answer as a comparable line: method, path (ids as #), status, and the body's shape: objects by their keys,
    /// arrays by the distinct shapes of their elements, strings and numbers by kind; booleans, nulls and codes as they are.
    /// </summary>
    private sealed partial class AnswerRecorder : DelegatingHandler
    {
        private static readonly HashSet<string> Kept = ["code", "status", "statusCode"];

        public List<string> Answers { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var media = response.Content.Headers.ContentType?.MediaType;
            var body = media == "application/json" && text.Length > 0 ? Shape(JsonNode.Parse(text), null) : $"{media} {(text.Length > 0 ? "body" : "empty")}";
            lock (Answers)
                Answers.Add($"{request.Method} {Ids().Replace(request.RequestUri!.AbsolutePath, "#")} {(int)response.StatusCode} {body}");
            return response;
        }

        private static string Shape(JsonNode? node, string? key) => node switch
        {
            null => "null",
            JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{Shape(p.Value, p.Key)}")) + "}",
            JsonArray a => "[" + string.Join("|", a.Select(e => Shape(e, null)).Distinct().Order(StringComparer.Ordinal)) + "]",
            JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => v.ToJsonString(),
            JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number => key is not null && Kept.Contains(key) ? v.ToJsonString() : "n",
            _ => "s",
        };

        [GeneratedRegex("[0-9A-Za-z_-]*[0-9][0-9A-Za-z_-]*")]
        private static partial Regex Ids();
    }
}
