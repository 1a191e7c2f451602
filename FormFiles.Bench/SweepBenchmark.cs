using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using FormFiles.DevHost.Azurite;
using FormFiles.Files;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Bench;

/// <summary>
/// The sweep (issue 7): 1,000 expired reservations among 1,000 live ones, then 1,000 more among
/// 100,000 live ones, in one run, on a clock the benchmark moves. Live reservations are written
/// straight to storage (their index rows in future minutes, their file rows in their tasks'
/// partitions), as many as the service would have; the expired ones are reserved through the API.
/// </summary>
public static class SweepBenchmark
{
    private const int Due = 1000;

    public static async Task RunAsync()
    {
        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        await using var azurite = await AzuriteProcess.StartAsync(root, persistFolder: null, Console.Out);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var devHost = new BenchHost.DevHost(
            azurite.ConnectionString,
            new StorageRequestCounter(),
            services => services.AddSingleton<TimeProvider>(clock),
            new Dictionary<string, string> { ["FormFiles:SweepInterval"] = "1.00:00:00", ["FormFiles:ReconcileInterval"] = "1.00:00:00", ["FormFiles:SweepBudget"] = "100000" });
        devHost.StartServer();
        using var client = devHost.CreateClient();
        var storage = new TableServiceClient(azurite.ConnectionString);
        var sweeper = devHost.Services.GetRequiredService<Sweeper>();

        var small = await PhaseAsync(client, storage, sweeper, clock, live: 1_000, liveBefore: 0);
        var large = await PhaseAsync(client, storage, sweeper, clock, live: 100_000, liveBefore: 1_000);

        Console.WriteLine();
        Console.WriteLine("| live reservations | expired swept | sweep time | per expired item |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (live, elapsed) in new[] { (1_000, small), (100_000, large) })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {live:N0} | {Due:N0} | {elapsed.TotalMilliseconds:F0} ms | {elapsed.TotalMilliseconds / Due:F2} ms |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"time ratio (100,000 live / 1,000 live): {large / small:F2}×"));
    }

    private static async Task<TimeSpan> PhaseAsync(HttpClient client, TableServiceClient storage, Sweeper sweeper, ManualClock clock, int live, int liveBefore)
    {
        await WriteLiveAsync(storage, clock.GetUtcNow(), liveBefore, live - liveBefore);
        var user = await BenchHost.Setup.UserWithTasksAsync(client, Due / 5, new JsonArray(new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" }));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
        {
            for (var t = worker; t < user.Tasks.Length; t += 8)
            {
                for (var i = 0; i < 5; i++)
                {
                    await BenchHost.Setup.CallAsync(client, user.Hash, "task/form/file/create",
                        new JsonObject { ["task_id"] = user.Tasks[t], ["field_id"] = "doc", ["size"] = 1000 });
                }
            }
        }));

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(2));
        var watch = Stopwatch.StartNew();
        var counts = (await sweeper.RunAsync(CancellationToken.None)).Counts;
        var elapsed = watch.Elapsed;
        if (counts[Sweeper.Outcome.Expired] != Due)
            throw new InvalidOperationException($"expected {Due} expired, swept {counts[Sweeper.Outcome.Expired]}");
        return elapsed;
    }

    /// <summary>Live reservations: index rows 30 days ahead (100 a minute) and file rows in their tasks' partitions (100 a task).</summary>
    private static async Task WriteLiveAsync(TableServiceClient storage, DateTimeOffset now, int first, int count)
    {
        var pending = storage.GetTableClient("pending");
        var tasks = storage.GetTableClient("tasks");
        var expires = now.AddDays(30);
        await Parallel.ForEachAsync(Enumerable.Range(first / 100, count / 100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (group, cancellationToken) =>
        {
            var taskId = 1_000_000_000L + group;
            var bucket = PendingEntity.Partition(expires.AddMinutes(group), taskId);
            var ids = Enumerable.Range(1, 100).Select(i => (taskId << 20) | (uint)i).ToList();
            await pending.SubmitTransactionAsync(ids.Select(id => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(bucket, Key(id))
            {
                ["UserId"] = 1L, ["TaskId"] = taskId, ["FileId"] = id, ["Expires"] = expires.AddMinutes(group),
            })), cancellationToken);
            await tasks.SubmitTransactionAsync(ids.Select(id => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Key(taskId), FileEntity.Row(id))
            {
                ["Id"] = id, ["UserId"] = 1L, ["TaskId"] = taskId, ["FieldId"] = "doc", ["State"] = FileStates.Created, ["ReservedSize"] = 1000L,
                ["Created"] = now, ["Expires"] = expires.AddMinutes(group), ["TokenDigest"] = new string('0', 64), ["Type"] = "file",
            })), cancellationToken);
        });
    }

    private static string Key(long id) => id.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>A clock that moves only when told (the service's timers then never fire on their own).</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset now = start;

        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }
}
