using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using FormFiles.DevHost.Azurite;

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
    public static async Task RunAsync(int workers, int perWorker)
    {
        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        await using var azurite = await AzuriteProcess.StartAsync(root, persistFolder: null, Console.Out);
        var counter = new StorageRequestCounter();
        // The DevHost's reconciliation and sweep loops stand in for Event Grid and the timer; a create
        // does not wait for them, so they are off here and the counter sees only what creates send.
        await using var devHost = new BenchHost.DevHost(azurite.ConnectionString, counter, settings: new Dictionary<string, string>
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
        var users = await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => BenchHost.Setup.UserWithTasksAsync(client, perWorker / 5 + 1)));
        await Measurement.RunAsync("warm-up", workers, 5, (w, i) => CreateAsync(client, users[w], perWorker / 5, "photo2", i));

        var before = counter.Count;
        var run = await Measurement.RunAsync("service", workers, perWorker, (w, i) => CreateAsync(client, users[w], i / 5, "photo", i));
        return (run, counter.Count - before);
    }

    private static async Task CreateAsync(HttpClient client, BenchHost.Setup.BenchUser user, int task, string field, int i)
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
        var users = await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => BenchHost.Setup.UserWithTasksAsync(client, perWorker / 5 + 1)));
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
}
