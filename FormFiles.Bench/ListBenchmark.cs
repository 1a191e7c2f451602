using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using FormFiles.DevHost.Azurite;
using FormFiles.Storage;
using FormFiles.Tasks;

namespace FormFiles.Bench;

/// <summary>
/// Every list action (issues 12 and 23), for a user with a little behind the list and one with a lot, in one run, each
/// call against its floor: the same page read straight from storage with the SDK. Tasks and deliveries: 100 and
/// 100,000 rows, written straight to storage as the service writes them, 100 a transaction; templates: 100 and
/// the cap of 1,000, made through the API. <c>webhook/list</c> (at most 10 endpoints) and <c>task/file/list</c>
/// (one task's files) have nothing that grows.
/// </summary>
public static class ListBenchmark
{
    private const int Calls = 200;
    private const int Page = 100;
    private const string ExternalId = "fleet-7";

    private sealed record Case(string Action, int Small, int Large, Func<World, JsonObject> Parameters, Func<World, Task> Floor);

    private sealed record World(BenchHost.Setup.BenchUser User, int Rows, long WebhookId);

    /// <param name="only">Runs only the lists whose name starts with it (all when null).</param>
    public static async Task RunAsync(string? only)
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
        var service = new TableServiceClient(azurite.ConnectionString);
        var (userTasks, templates, deliveries) = (service.GetTableClient("usertasks"), service.GetTableClient("templates"), service.GetTableClient("deliveries"));

        var cases = new[]
        {
            new Case("task/list", 100, 100_000, _ => new() { ["limit"] = Page },
                w => FloorAsync(userTasks, w.User.Id, string.Empty, "a", Page, "count")),
            new Case("task/list external_id", 100, 100_000, _ => new() { ["external_id"] = ExternalId, ["limit"] = Page },
                w => FloorAsync(userTasks, w.User.Id, TaskList.IndexRow(ExternalId, 0)[..^19], TaskList.IndexRow(ExternalId, 0)[..^20] + ".", Page, TaskList.CountRowOf(ExternalId))),
            new Case("task/list next (middle)", 100, 100_000, w => new() { ["next"] = TaskId(w.Rows / 2), ["limit"] = Page },
                w => FloorAsync(userTasks, w.User.Id, Tables.Key(TaskId(w.Rows / 2)), "a", Math.Min(Page, w.Rows - (w.Rows / 2)), "count")),
            new Case("form/template/list", 100, FormFiles.Templates.TemplateStore.MaxPerUser, _ => new() { ["limit"] = FormFiles.Templates.TemplateStore.MaxPage },
                w => FloorAsync(templates, w.User.Id, string.Empty, "a", FormFiles.Templates.TemplateStore.MaxPage, null)),
            new Case("webhook/delivery/list", 100, 100_000, w => new() { ["webhook_id"] = w.WebhookId, ["limit"] = Page },
                w => DeliveryFloorAsync(deliveries, w.WebhookId)),
        };

        var results = new List<(Case Case, Measurement[] Service, Measurement[] Floor)>();
        foreach (var @case in cases.Where(c => only is null || c.Action.StartsWith(only, StringComparison.Ordinal)))
        {
            var worlds = new List<World>();
            foreach (var rows in new[] { @case.Small, @case.Large })
                worlds.Add(await WorldAsync(client, @case, rows, userTasks, deliveries));
            var (services, floors) = (new Measurement[2], new Measurement[2]);
            for (var i = 0; i < 2; i++)
            {
                var world = worlds[i];
                await Measurement.RunAsync("warm-up", 1, 10, (_, _) => ListAsync(client, @case, world));
                services[i] = await Measurement.RunAsync("service", 1, Calls, (_, _) => ListAsync(client, @case, world));
                floors[i] = await Measurement.RunAsync("floor", 1, Calls, (_, _) => @case.Floor(world));
            }

            results.Add((@case, services, floors));
            Console.WriteLine($"{@case.Action}: done");
        }

        Console.WriteLine();
        Console.WriteLine($"{Calls} calls each, one after another");
        Console.WriteLine("| list | rows | service p50 | floor p50 | service / floor | growth: service | growth: floor | service growth / floor growth |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (@case, services, floors) in results)
        {
            var (serviceGrowth, floorGrowth) = (services[1].P50 / services[0].P50, floors[1].P50 / floors[0].P50);
            for (var i = 0; i < 2; i++)
            {
                var growth = i == 0 ? "| | |" : string.Create(CultureInfo.InvariantCulture, $"| {serviceGrowth:F2}× | {floorGrowth:F2}× | **{serviceGrowth / floorGrowth:F2}×** |");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {@case.Action} | {(i == 0 ? @case.Small : @case.Large):N0} | {services[i].P50:F2} ms | {floors[i].P50:F2} ms | {services[i].P50 / floors[i].P50:F2}× {growth}"));
            }
        }
    }

    /// <summary>A user with <paramref name="rows"/> behind the case's list.</summary>
    private static async Task<World> WorldAsync(HttpClient client, Case @case, int rows, TableClient userTasks, TableClient deliveries)
    {
        var user = await BenchHost.Setup.UserWithTasksAsync(client, 0);
        long webhookId = 0;
        if (@case.Action.StartsWith("task/", StringComparison.Ordinal))
            await SeedTasksAsync(userTasks, user.Id, rows);
        else if (@case.Action.StartsWith("form/", StringComparison.Ordinal))
        {
            // The user's first template is made with the user.
            await Parallel.ForEachAsync(Enumerable.Range(1, rows - 1), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (n, _) =>
                await BenchHost.Setup.CallAsync(client, user.Hash, "form/template/create", new JsonObject
                {
                    ["template"] = new JsonObject { ["label"] = $"Template {n}", ["fields"] = new JsonArray(new JsonObject { ["id"] = "n", ["label"] = "N", ["type"] = "text" }) },
                }));
        }
        else
        {
            var created = await BenchHost.Setup.CallAsync(client, user.Hash, "webhook/create", new JsonObject { ["url"] = "http://127.0.0.1:9/hook", ["events"] = new JsonArray("webhook.test") });
            webhookId = created["id"]!.GetValue<long>();
            await SeedDeliveriesAsync(deliveries, user.Id, webhookId, rows);
        }

        return new World(user, rows, webhookId);
    }

    private static async Task ListAsync(HttpClient client, Case @case, World world)
    {
        var answer = await BenchHost.Setup.CallAsync(client, world.User.Hash, @case.Action.Split(' ')[0], @case.Parameters(world));
        if ((answer["list"] ?? answer["deliveries"] ?? answer["templates"]) is not JsonArray { Count: > 0 })
            throw new InvalidOperationException($"{@case.Action} answered no rows: {answer.ToJsonString()[..Math.Min(300, answer.ToJsonString().Length)]}");
    }

    /// <summary>A page (and one row more) between <paramref name="after"/> and <paramref name="below"/>, and the count row where the list has one.</summary>
    private static async Task FloorAsync(TableClient table, long userId, string after, string below, int page, string? countRow)
    {
        var partition = Tables.Key(userId);
        var rows = await table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {after} and RowKey lt {below}"), maxPerPage: page + 1).Take(page + 1).ToListAsync();
        if (countRow is not null && !(await table.GetEntityIfExistsAsync<TableEntity>(partition, countRow)).HasValue)
            throw new InvalidOperationException("the floor found no count row");
        if (rows.Count < page)
            throw new InvalidOperationException($"the floor read {rows.Count} rows");
    }

    private static async Task DeliveryFloorAsync(TableClient deliveries, long webhookId)
    {
        var rows = await deliveries.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Tables.Key(webhookId)} and RowKey gt {string.Empty} and RowKey lt {"a"}"), maxPerPage: Page + 1,
            select: ["RowKey", "EventId", "Type", "Status", "Attempts", "LastAttempt", "LastStatusCode", "LastError", "NextAttempt"]).Take(Page + 1).ToListAsync();
        if (rows.Count < Page)
            throw new InvalidOperationException($"the floor read {rows.Count} rows");
    }

    private static long TaskId(int n) => 1_000_000L + n;

    /// <summary>List copies, external-id copies and both count rows of <paramref name="tasks"/> tasks, as <see cref="TaskList"/> writes them.</summary>
    private static async Task SeedTasksAsync(TableClient userTasks, long userId, int tasks)
    {
        var partition = Tables.Key(userId);
        var now = DateTimeOffset.UtcNow;
        TableEntity Copy(string row, int n) => new(partition, row)
        {
            ["Id"] = TaskId(n), ["UserId"] = userId, ["Label"] = $"Delivery {n}", ["ExternalId"] = ExternalId, ["Status"] = "unassigned",
            ["ListFrom"] = TaskFilter.Earliest, ["ListTo"] = TaskFilter.Latest, ["Created"] = now, ["StatusChanged"] = now, ["Version"] = 1L,
        };
        await Parallel.ForEachAsync(Enumerable.Range(0, tasks / 100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, cancellationToken) =>
        {
            var ids = Enumerable.Range((batch * 100) + 1, 100).ToList();
            await userTasks.SubmitTransactionAsync(ids.Select(n => new TableTransactionAction(TableTransactionActionType.Add, Copy(Tables.Key(TaskId(n)), n))), cancellationToken);
            await userTasks.SubmitTransactionAsync(ids.Select(n => new TableTransactionAction(TableTransactionActionType.Add, Copy(TaskList.IndexRow(ExternalId, TaskId(n)), n))), cancellationToken);
        });
        foreach (var row in new[] { "count", TaskList.CountRowOf(ExternalId) })
            await userTasks.UpsertEntityAsync(new TableEntity(partition, row) { ["Total"] = (long)tasks, ["Status_unassigned"] = (long)tasks });
    }

    /// <summary>Delivered rows of <c>webhook.test</c> events, newest first, as the deliveries write them (the list reads only their columns).</summary>
    private static async Task SeedDeliveriesAsync(TableClient deliveries, long userId, long webhookId, int count)
    {
        var partition = Tables.Key(webhookId);
        var now = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(Enumerable.Range(0, count / 100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, cancellationToken) =>
            await deliveries.SubmitTransactionAsync(Enumerable.Range((batch * 100) + 1, 100).Select(n =>
            {
                var eventId = $"evt_{n:D32}";
                return new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, $"{long.MaxValue - now.AddSeconds(-n).UtcTicks:D19}-{eventId}")
                {
                    ["UserId"] = userId, ["WebhookId"] = webhookId, ["EventId"] = eventId, ["Type"] = "webhook.test", ["Status"] = "delivered",
                    ["Attempts"] = 1, ["LastAttempt"] = now, ["LastStatusCode"] = 200,
                });
            }), cancellationToken));
    }
}
