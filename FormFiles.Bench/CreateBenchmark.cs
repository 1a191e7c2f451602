using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using FormFiles.DevHost.Azurite;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Bench;

/// <summary>
/// task/form/file/create over HTTP against the DevHost on Azurite, against the floor: the same
/// storage operations a create makes (read the task row, on a task's first file; add the pending
/// row; the task-partition transaction; the quota transaction), issued directly with the Azure SDK,
/// in the same run.
/// Every worker is its own user with its own tasks, five files a task, so that neither side
/// measures contention on one row.
/// </summary>
public static class CreateBenchmark
{
    private const string AdminKey = "bench-admin-key-0123456789";

    public static async Task RunAsync(int workers, int perWorker)
    {
        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        await using var azurite = await AzuriteProcess.StartAsync(root, persistFolder: null, Console.Out);
        var counter = new StorageRequestCounter();
        // The DevHost's reconciliation and sweep loops stand in for Event Grid and the timer; a create
        // does not wait for them, so they are off here and the counter sees only what creates send.
        await using var devHost = new DevHost(azurite.ConnectionString, counter, settings: new Dictionary<string, string>
        {
            ["FormFiles:ReconcileInterval"] = "1.00:00:00",
            ["FormFiles:SweepInterval"] = "1.00:00:00",
        });
        devHost.StartServer();
        using var client = devHost.CreateClient();

        // Rounds alternate which side goes first, so that neither gains from running on a smaller store.
        var storage = new TableServiceClient(azurite.ConnectionString);
        var services = new List<Measurement>();
        var floors = new List<Measurement>();
        long requests = 0;
        for (var round = 0; round < Rounds; round++)
        {
            for (var side = 0; side < 2; side++)
            {
                if ((round + side) % 2 == 0)
                {
                    var (measurement, count) = await ServiceRunAsync(client, counter, workers, perWorker / Rounds);
                    services.Add(measurement);
                    requests += count;
                }
                else
                {
                    floors.Add(await FloorRunAsync(storage, client, workers, perWorker / Rounds));
                }
            }
        }

        var service = Measurement.Combine("service", services);
        Report(service, Measurement.Combine("floor", floors), requests / (double)service.LatenciesMs.Length, workers);
    }

    private const int Rounds = 4;

    private static async Task<(Measurement Measurement, long Requests)> ServiceRunAsync(HttpClient client, StorageRequestCounter counter, int workers, int perWorker)
    {
        var users = await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Setup.UserWithTasksAsync(client, perWorker / 5 + 1)));
        await Measurement.RunAsync("warm-up", workers, 5, (w, i) => CreateAsync(client, users[w], perWorker / 5, "photo2", i));

        var before = counter.Count;
        var run = await Measurement.RunAsync("service", workers, perWorker, (w, i) => CreateAsync(client, users[w], i / 5, "photo", i));
        return (run, counter.Count - before);
    }

    private static async Task CreateAsync(HttpClient client, Setup.BenchUser user, int task, string field, int i)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/task/form/file/create")
        {
            Content = JsonContent.Create(new JsonObject { ["task_id"] = user.Tasks[task], ["field_id"] = field, ["size"] = 100_000 + i, ["filename"] = "parcel.jpg" }),
        };
        request.Headers.TryAddWithoutValidation("Authorization", $"NVX {user.Hash}");
        using var response = await client.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"create failed: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The storage operations of one create, straight through the SDK, on tasks and users of their own.</summary>
    private static async Task<Measurement> FloorRunAsync(TableServiceClient storage, HttpClient client, int workers, int perWorker)
    {
        var users = await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Setup.UserWithTasksAsync(client, perWorker / 5 + 1)));
        var tasks = storage.GetTableClient("tasks");
        var pending = storage.GetTableClient("pending");
        var quota = storage.GetTableClient("users");
        var userETags = new ETag[workers];
        var taskRows = new TableEntity[workers];
        for (var w = 0; w < workers; w++)
            userETags[w] = (await quota.GetEntityAsync<TableEntity>(Key(users[w].Id), "user")).Value.ETag;

        return await Measurement.RunAsync("floor", workers, perWorker, async (w, i) =>
        {
            var taskId = users[w].Tasks[i / 5];
            var fileId = (taskId << 20) | (i + 1L);
            // Like the service, read a task row on its first file only, then write from the row last written.
            var task = i % 5 == 0 ? (await tasks.GetEntityAsync<TableEntity>(Key(taskId), "task")).Value : taskRows[w];
            await pending.AddEntityAsync(new TableEntity("floor", Key(fileId)) { ["UserId"] = users[w].Id, ["TaskId"] = taskId, ["FileId"] = fileId, ["Expires"] = DateTimeOffset.UtcNow.AddHours(1) });
            task["FieldFiles"] = $$"""{"photo":{{i % 5 + 1}}}""";
            var written = await tasks.SubmitTransactionAsync(
            [
                new(TableTransactionActionType.UpdateReplace, task, task.ETag),
                new(TableTransactionActionType.Add, new TableEntity(Key(taskId), "file-" + Key(fileId))
                {
                    ["Id"] = fileId, ["UserId"] = users[w].Id, ["TaskId"] = taskId, ["FieldId"] = "photo", ["State"] = "created",
                    ["ReservedSize"] = 100_000L + i, ["Name"] = "parcel.jpg", ["Created"] = DateTimeOffset.UtcNow,
                    ["Expires"] = DateTimeOffset.UtcNow.AddHours(1), ["TokenDigest"] = new string('0', 64),
                }),
            ]);
            task.ETag = written.Value[0].Headers.ETag!.Value;
            taskRows[w] = task;
            var charged = await quota.SubmitTransactionAsync(
            [
                new(TableTransactionActionType.UpdateMerge, new TableEntity(Key(users[w].Id), "user") { ["UsedBytes"] = 100_000L * (i + 1), ["FileCount"] = i + 1L }, userETags[w]),
                new(TableTransactionActionType.Add, new TableEntity(Key(users[w].Id), "charge-" + Key(fileId)) { ["Bytes"] = 100_000L + i }),
            ]);
            userETags[w] = charged.Value[0].Headers.ETag!.Value;
        });
    }

    private static void Report(Measurement service, Measurement floor, double requestsPerCreate, int workers)
    {
        Console.WriteLine();
        Console.WriteLine($"task/form/file/create, {service.LatenciesMs.Length} creates by {workers} parallel workers");
        Console.WriteLine("| run | p50 ms | p99 ms | creates/s |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var m in new[] { service, floor })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {m.Name} | {m.P50:F2} | {m.P99:F2} | {m.Throughput:F0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| service / floor | {service.P50 / floor.P50:F2}× | {service.P99 / floor.P99:F2}× | {service.Throughput / floor.Throughput:F2}× |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"storage requests per create (service): {requestsPerCreate:F2}"));
    }

    private static string Key(long id) => id.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>The DevHost's own Program on Kestrel, with a request counter on every storage client.</summary>
    internal sealed class DevHost : WebApplicationFactory<Program>
    {
        private readonly string connectionString;
        private readonly StorageRequestCounter counter;

        private readonly Action<IServiceCollection>? configureServices;
        private readonly IReadOnlyDictionary<string, string>? settings;

        public DevHost(string connectionString, StorageRequestCounter counter, Action<IServiceCollection>? configureServices = null, IReadOnlyDictionary<string, string>? settings = null)
        {
            this.connectionString = connectionString;
            this.counter = counter;
            this.configureServices = configureServices;
            this.settings = settings;
            UseKestrel(0);
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("urls", "http://127.0.0.1:0");
            builder.UseSetting("FormFiles:Storage:ConnectionString", connectionString);
            builder.UseSetting("FormFiles:AdminKey", AdminKey);
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Azure.Core", "Error"); // Expected 404s (delete-if-exists) are not news.
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
                builder.UseSetting(key, value);
            builder.ConfigureTestServices(services =>
            {
                services.AddAzureClients(clients => clients.ConfigureDefaults(options => options.AddPolicy(counter, HttpPipelinePosition.PerCall)));
                configureServices?.Invoke(services);
            });
        }
    }

    /// <summary>Users, keys, templates and tasks, made through the API as a client would.</summary>
    internal static class Setup
    {
        public sealed record BenchUser(long Id, string Hash, long[] Tasks);

        public static async Task<BenchUser> UserWithTasksAsync(HttpClient client, int taskCount, JsonArray? fields = null)
        {
            var id = (await AdminAsync(client, "admin/user/create", new JsonObject { ["label"] = "bench" }))["id"]!.GetValue<long>();
            var hash = (await AdminAsync(client, "admin/api_key/create", new JsonObject { ["user_id"] = id, ["rights"] = new JsonArray("task_update") }))["hash"]!.GetValue<string>();
            var template = (await CallAsync(client, hash, "form/template/create", new JsonObject
            {
                ["template"] = new JsonObject
                {
                    ["label"] = "Proof of delivery",
                    ["fields"] = fields ?? new JsonArray(
                        new JsonObject { ["id"] = "photo", ["label"] = "Parcel", ["type"] = "photo" },
                        new JsonObject { ["id"] = "photo2", ["label"] = "Door", ["type"] = "photo" }),
                },
            }))["id"]!.GetValue<long>();
            var tasks = new long[taskCount];
            for (var t = 0; t < taskCount; t++)
            {
                tasks[t] = (await CallAsync(client, hash, "task/create", new JsonObject
                {
                    ["task"] = new JsonObject { ["label"] = $"Delivery {t}", ["form_template_id"] = template },
                    ["create_form"] = true,
                }))["id"]!.GetValue<long>();
            }

            return new BenchUser(id, hash, tasks);
        }

        private static Task<JsonObject> AdminAsync(HttpClient client, string action, JsonObject body) => SendAsync(client, action, body, "X-Admin-Key", AdminKey);

        public static Task<JsonObject> CallAsync(HttpClient client, string hash, string action, JsonObject body) => SendAsync(client, action, body, "Authorization", $"NVX {hash}");

        private static async Task<JsonObject> SendAsync(HttpClient client, string action, JsonObject body, string header, string value)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/{action}") { Content = JsonContent.Create(body) };
            request.Headers.TryAddWithoutValidation(header, value);
            using var response = await client.SendAsync(request);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            return response.IsSuccessStatusCode ? json : throw new InvalidOperationException($"{action}: {json.ToJsonString()}");
        }
    }
}
