using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Azure.Core;
using FormFiles.DevHost.Azurite;
using FormFiles.Files;
using Microsoft.Extensions.Azure;

namespace FormFiles.Bench;

/// <summary>
/// task/form/file/create over HTTP against the DevHost on Azurite, against the floor: the same
/// storage operations a create makes (read the task row, on a task's first file; add the pending
/// row; the task-partition transaction; the quota transaction), issued directly with the Azure SDK,
/// in the same run. Parallel workers spread their creates over <see cref="Tenants"/> tenants (create
/// k goes to tenant k mod 64, five files a task), as a multi-tenant service sees them; the service's
/// writes are counted per partition, so that a partition every tenant shares would show.
/// </summary>
public static class CreateBenchmark
{
    public const int Tenants = 64;
    private const int Rounds = 4;
    private const int FilesPerTask = 5;

    public static async Task RunAsync(int workers, int perWorker)
    {
        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        await using var azurite = await AzuriteProcess.StartAsync(root, persistFolder: null, Console.Out);
        var counter = new StorageRequestCounter();
        var partitions = new PartitionWrites();
        // The DevHost's reconciliation and sweep loops stand in for Event Grid and the timer, and the usage
        // meter flushes every minute; a create waits for none of them, so they are off (the flush at its
        // longest, ten minutes, past the run) and the counters see only what creates send (the usage
        // flush has its own benchmark, "keyed").
        await using var devHost = new BenchHost.DevHost(azurite.ConnectionString, counter,
            services => services.AddAzureClients(clients => clients.ConfigureDefaults(options => options.AddPolicy(partitions, HttpPipelinePosition.PerCall))),
            new Dictionary<string, string>
            {
                ["FormFiles:ReconcileInterval"] = "1.00:00:00",
                ["FormFiles:SweepInterval"] = "1.00:00:00",
                ["FormFiles:Usage:FlushInterval"] = "00:10:00",
            });
        devHost.StartServer();
        using var client = devHost.CreateClient();

        var total = workers * perWorker;
        var tasksPerTenant = total / Tenants / FilesPerTask + 1;
        var serviceSide = new Side(await TenantsAsync(client, tasksPerTenant));
        var floorSide = new Side(await TenantsAsync(client, tasksPerTenant));
        var storage = new TableServiceClient(azurite.ConnectionString);
        await Measurement.RunAsync("warm-up", workers, 5, (w, i) => CreateAsync(client, serviceSide.Users[(w * 5 + i) % Tenants], tasksPerTenant - 1, "photo2", i));
        partitions.Reset();

        // Rounds alternate which side goes first, so that neither gains from running on a smaller store.
        var services = new List<Measurement>();
        var floors = new List<Measurement>();
        long requests = 0;
        for (var round = 0; round < Rounds; round++)
        {
            for (var side = 0; side < 2; side++)
            {
                if ((round + side) % 2 == 0)
                {
                    var before = counter.Count;
                    services.Add(await Measurement.RunAsync("service", workers, perWorker / Rounds, async (_, _) =>
                    {
                        var (user, task, slot) = serviceSide.Next();
                        await CreateAsync(client, user, task, "photo", slot);
                    }));
                    requests += counter.Count - before;
                }
                else
                {
                    floors.Add(await FloorRunAsync(storage, floorSide, workers, perWorker / Rounds));
                }
            }
        }

        var service = Measurement.Combine("service", services);
        Report(service, Measurement.Combine("floor", floors), requests / (double)service.LatenciesMs.Length, workers);
        var (busiest, writes) = partitions.Busiest;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"service writes: {partitions.Total:N0} over {Tenants} tenants; busiest partition {busiest}: {writes:N0} ({100.0 * writes / partitions.Total:F1} %)"));
    }

    private static Task<BenchHost.Setup.BenchUser[]> TenantsAsync(HttpClient client, int tasksPerTenant) =>
        Task.WhenAll(Enumerable.Range(0, Tenants).Select(_ => BenchHost.Setup.UserWithTasksAsync(client, tasksPerTenant)));

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

    /// <summary>The storage operations of one create, straight through the SDK, on tenants of their own, unconditional.</summary>
    private static Task<Measurement> FloorRunAsync(TableServiceClient storage, Side side, int workers, int perWorker)
    {
        var tasks = storage.GetTableClient("tasks");
        var pending = storage.GetTableClient("pending");
        var quota = storage.GetTableClient("users");
        return Measurement.RunAsync("floor", workers, perWorker, async (_, _) =>
        {
            var (user, task, slot) = side.Next();
            var taskId = user.Tasks[task];
            var fileId = (taskId << 20) | (slot + 1L);
            if (slot == 0)
                await tasks.GetEntityAsync<TableEntity>(Key(taskId), "task"); // Like the service: a task row is read on its first file only.
            var expires = DateTimeOffset.UtcNow.AddHours(1);
            await pending.AddEntityAsync(new TableEntity(PendingEntity.Partition(expires, taskId), Key(fileId)) { ["UserId"] = user.Id, ["TaskId"] = taskId, ["FileId"] = fileId, ["Expires"] = expires });
            await tasks.SubmitTransactionAsync(
            [
                new(TableTransactionActionType.UpdateMerge, new TableEntity(Key(taskId), "task") { ["FieldFiles"] = $$"""{"photo":{{slot + 1}}}""", ["FileSequence"] = slot + 1L }, ETag.All),
                new(TableTransactionActionType.Add, new TableEntity(Key(taskId), "file-" + Key(fileId))
                {
                    ["Id"] = fileId, ["UserId"] = user.Id, ["TaskId"] = taskId, ["FieldId"] = "photo", ["State"] = "created",
                    ["ReservedSize"] = 100_000L, ["Name"] = "parcel.jpg", ["Created"] = DateTimeOffset.UtcNow,
                    ["Expires"] = expires, ["TokenDigest"] = new string('0', 64),
                }),
            ]);
            await quota.SubmitTransactionAsync(
            [
                new(TableTransactionActionType.UpdateMerge, new TableEntity(Key(user.Id), "user") { ["UsedBytes"] = 100_000L * (slot + 1), ["FileCount"] = slot + 1L }, ETag.All),
                new(TableTransactionActionType.Add, new TableEntity(Key(user.Id), "charge-" + Key(fileId)) { ["Bytes"] = 100_000L }),
            ]);
        });
    }

    /// <summary>One side's tenants, and the order its creates take: create k → tenant k mod 64, then five to a task.</summary>
    private sealed class Side(BenchHost.Setup.BenchUser[] users)
    {
        private int next = -1;

        public BenchHost.Setup.BenchUser[] Users => users;

        public (BenchHost.Setup.BenchUser User, int Task, int Slot) Next()
        {
            var k = Interlocked.Increment(ref next);
            var perTenant = k / Tenants;
            return (users[k % Tenants], perTenant / FilesPerTask, perTenant % FilesPerTask);
        }
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
