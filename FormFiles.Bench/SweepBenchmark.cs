using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using FormFiles.DevHost.Azurite;
using FormFiles.Files;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Bench;

/// <summary>
/// The sweep (issues 7 and 12): 1,000 expired reservations among 1,000 live ones, then 1,000 more
/// among 100,000 live ones, then a backlog of 10,000 among the same 100,000, in one run, on a clock
/// the benchmark moves, each swept by one pass with the shipped budget. Live reservations are written
/// straight to storage (their index rows in future minutes, their file rows in their tasks'
/// partitions), as many as the service would have; the expired ones are reserved through the API.
/// </summary>
public static class SweepBenchmark
{
    private const int Due = 1000;
    private const int Backlog = 10_000;

    public static async Task RunAsync()
    {
        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        await using var azurite = await AzuriteProcess.StartAsync(root, persistFolder: null, Console.Out);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var devHost = new BenchHost.DevHost(
            azurite.ConnectionString,
            new StorageRequestCounter(),
            services => services.AddSingleton<TimeProvider>(clock),
            new Dictionary<string, string> { ["FormFiles:SweepInterval"] = "1.00:00:00", ["FormFiles:ReconcileInterval"] = "1.00:00:00" });
        devHost.StartServer();
        using var client = devHost.CreateClient();
        var storage = new TableServiceClient(azurite.ConnectionString);
        var sweeper = devHost.Services.GetRequiredService<Sweeper>();

        var small = await PhaseAsync(client, storage, sweeper, clock, live: 1_000, liveBefore: 0, Due);
        var large = await PhaseAsync(client, storage, sweeper, clock, live: 100_000, liveBefore: 1_000, Due);
        var backlog = await PhaseAsync(client, storage, sweeper, clock, live: 100_000, liveBefore: 100_000, Backlog);

        Console.WriteLine();
        Console.WriteLine("| live reservations | expired swept in one pass | sweep time | items settled / s | budget spent |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (live, pass) in new[] { (1_000, small), (100_000, large), (100_000, backlog) })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {live:N0} | {pass.Counts[Sweeper.Outcome.Expired]:N0} | {pass.Elapsed.TotalMilliseconds:F0} ms | {pass.Settled / pass.Elapsed.TotalSeconds:F0} | {pass.BudgetSpent} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"time ratio (100,000 live / 1,000 live, 1,000 due): {large.Elapsed / small.Elapsed:F2}×"));
    }

    private static async Task<SweepPass> PhaseAsync(HttpClient client, TableServiceClient storage, Sweeper sweeper, ManualClock clock, int live, int liveBefore, int due)
    {
        await WriteLiveAsync(storage, clock.GetUtcNow(), liveBefore, live - liveBefore);
        var user = await BenchHost.Setup.UserWithTasksAsync(client, due / 5, new JsonArray(new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" }));
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
        var pass = await sweeper.RunAsync(CancellationToken.None);
        pass = pass with { Elapsed = watch.Elapsed }; // Wall time: the pass's own timing runs on the benchmark's manual clock.
        if (pass.Counts[Sweeper.Outcome.Expired] != due)
            throw new InvalidOperationException($"expected {due} expired, swept {pass.Counts[Sweeper.Outcome.Expired]}");
        return pass;
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
