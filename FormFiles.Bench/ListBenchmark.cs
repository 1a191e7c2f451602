using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using FormFiles.DevHost.Azurite;

namespace FormFiles.Bench;

/// <summary>
/// task/list (issue 12): a page of 100 for a user with 100 tasks and for one with 100,000, in one run,
/// each against its floor (the same 100 rows read straight from the user's list partition with the
/// SDK). The small user's tasks are created through the API; the large user's list rows (copies and
/// count row, as the service writes them) straight to storage, 100 a transaction.
/// </summary>
public static class ListBenchmark
{
    private const int Calls = 200;
    private const int Page = 100;

    public static async Task RunAsync()
    {
        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        await using var azurite = await AzuriteProcess.StartAsync(root, persistFolder: null, Console.Out);
        await using var devHost = new BenchHost.DevHost(azurite.ConnectionString, new StorageRequestCounter(), settings: new Dictionary<string, string>
        {
            ["FormFiles:ReconcileInterval"] = "1.00:00:00",
            ["FormFiles:SweepInterval"] = "1.00:00:00",
        });
        devHost.StartServer();
        using var client = devHost.CreateClient();
        var userTasks = new TableServiceClient(azurite.ConnectionString).GetTableClient("usertasks");

        var small = await BenchHost.Setup.UserWithTasksAsync(client, 100);
        var large = await BenchHost.Setup.UserWithTasksAsync(client, 0);
        await SeedAsync(userTasks, large.Id, 100_000);

        var results = new List<(string Name, Measurement Service, Measurement Floor)>();
        foreach (var (name, user) in new[] { ("100 tasks", small), ("100,000 tasks", large) })
        {
            await Measurement.RunAsync("warm-up", 1, 10, (_, _) => ListAsync(client, user));
            var service = await Measurement.RunAsync("service", 1, Calls, (_, _) => ListAsync(client, user));
            var floor = await Measurement.RunAsync("floor", 1, Calls, (_, _) => FloorAsync(userTasks, user.Id));
            results.Add((name, service, floor));
        }

        Console.WriteLine();
        Console.WriteLine($"task/list, a page of {Page}, {Calls} calls each");
        Console.WriteLine("| user | service p50 | floor p50 | service / floor | service p99 |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (name, service, floor) in results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {service.P50:F2} ms | {floor.P50:F2} ms | {service.P50 / floor.P50:F2}× | {service.P99:F2} ms |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"p50 ratio 100,000 / 100: service {results[1].Service.P50 / results[0].Service.P50:F2}×, floor {results[1].Floor.P50 / results[0].Floor.P50:F2}×"));
    }

    private static async Task ListAsync(HttpClient client, BenchHost.Setup.BenchUser user)
    {
        var page = await BenchHost.Setup.CallAsync(client, user.Hash, "task/list", new JsonObject { ["limit"] = Page });
        if (page["list"]!.AsArray().Count != Math.Min(Page, user.Tasks.Length == 0 ? Page : user.Tasks.Length))
            throw new InvalidOperationException($"task/list answered {page["list"]!.AsArray().Count} rows");
    }

    private static async Task FloorAsync(TableClient userTasks, long userId)
    {
        var partition = Key(userId);
        var rows = await userTasks.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey lt {"a"}"), maxPerPage: Page).Take(Page).ToListAsync();
        var count = await userTasks.GetEntityIfExistsAsync<TableEntity>(partition, "count");
        if (rows.Count != Page || !count.HasValue)
            throw new InvalidOperationException($"the floor read {rows.Count} rows");
    }

    /// <summary>List copies and the count row of <paramref name="tasks"/> tasks, as <see cref="Tasks.TaskList"/> writes them.</summary>
    private static async Task SeedAsync(TableClient userTasks, long userId, int tasks)
    {
        var partition = Key(userId);
        var now = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(Enumerable.Range(0, tasks / 100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, cancellationToken) =>
        {
            await userTasks.SubmitTransactionAsync(Enumerable.Range(batch * 100 + 1, 100).Select(id => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, Key(1_000_000L + id))
            {
                ["Id"] = 1_000_000L + id, ["UserId"] = userId, ["Label"] = $"Delivery {id}", ["Status"] = "unassigned",
                ["Created"] = now, ["StatusChanged"] = now, ["Version"] = 1L,
            })), cancellationToken);
        });
        await userTasks.UpsertEntityAsync(new TableEntity(partition, "count") { ["Total"] = (long)tasks, ["Status_unassigned"] = (long)tasks });
    }

    private static string Key(long id) => id.ToString("D19", CultureInfo.InvariantCulture);
}
