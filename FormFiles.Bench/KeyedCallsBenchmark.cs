using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using System.Diagnostics;
using FormFiles.Auth;
using FormFiles.DevHost.Azurite;
using FormFiles.Usage;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Bench;

/// <summary>
/// What keyed calls cost a create: task/form/file/create on one Azurite through two DevHosts, one with
/// usage metering off and one with it on, the second also with a new <c>Idempotency-Key</c> on every
/// call; and the floor of a key's two row writes (insert the claim, replace it with the answer on its
/// ETag) straight through the SDK. Rounds rotate the order of the runs, so that none gains from a
/// smaller store.
/// </summary>
public static class KeyedCallsBenchmark
{
    private const int Rounds = 8;
    private const int FilesPerTask = 5;

    public static async Task RunAsync(int workers, int perWorker)
    {
        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        await using var azurite = await AzuriteProcess.StartAsync(root, persistFolder: null, Console.Out);
        var quiet = new Dictionary<string, string> { ["FormFiles:ReconcileInterval"] = "1.00:00:00", ["FormFiles:SweepInterval"] = "1.00:00:00" };
        var (plainRequests, meteredRequests) = (new StorageRequestCounter(), new StorageRequestCounter());
        await using var plainHost = new BenchHost.DevHost(azurite.ConnectionString, plainRequests, settings: new Dictionary<string, string>(quiet) { ["FormFiles:Usage:Enabled"] = "false" });
        await using var meteredHost = new BenchHost.DevHost(azurite.ConnectionString, meteredRequests, settings: quiet);
        plainHost.StartServer();
        meteredHost.StartServer();
        using var plain = plainHost.CreateClient();
        using var metered = meteredHost.CreateClient();

        var tasksPerUser = perWorker / FilesPerTask + 1;
        var runs = new (string Name, HttpClient Client, StorageRequestCounter Requests, bool Keyed, BenchHost.Setup.BenchUser[] Users)[]
        {
            ("metering off", plain, plainRequests, false, await UsersAsync(plain, workers, tasksPerUser)),
            ("metering on", metered, meteredRequests, false, await UsersAsync(metered, workers, tasksPerUser)),
            ("metering on + Idempotency-Key", metered, meteredRequests, true, await UsersAsync(metered, workers, tasksPerUser)),
        };
        var requests = new long[runs.Length];
        var keyRows = new TableServiceClient(azurite.ConnectionString).GetTableClient("idempotency");
        await keyRows.CreateIfNotExistsAsync();
        foreach (var run in runs)
            await Measurement.RunAsync("warm-up", workers, 4, (w, i) => CreateAsync(run.Client, run.Users[w], tasksPerUser - 1, i, run.Keyed ? Guid.NewGuid().ToString("N") : null));

        var measured = runs.Select(_ => new List<Measurement>()).Append([]).ToArray();
        var perRound = perWorker / Rounds;
        for (var round = 0; round < Rounds; round++)
        {
            for (var step = 0; step <= runs.Length; step++)
            {
                var which = (round + step) % (runs.Length + 1);
                var offset = round * perRound;
                if (which == runs.Length)
                {
                    measured[which].Add(await Measurement.RunAsync("floor", workers, perRound, (_, _) => KeyRowWritesAsync(keyRows)));
                    continue;
                }

                var run = runs[which];
                var before = run.Requests.Count;
                measured[which].Add(await Measurement.RunAsync(run.Name, workers, perRound, (w, i) =>
                    CreateAsync(run.Client, run.Users[w], (offset + i) / FilesPerTask, offset + i, run.Keyed ? Guid.NewGuid().ToString("N") : null)));
                requests[which] += run.Requests.Count - before;
            }
        }

        var results = measured.Select((m, i) => Measurement.Combine(i < runs.Length ? runs[i].Name : "floor: two key-row writes", m)).ToArray();
        Report(results, requests.Select(r => r / (double)results[0].LatenciesMs.Length).ToArray(), workers);
        await MeterAloneAsync(meteredHost.Services.GetRequiredService<UsageMeter>(), meteredRequests, workers, results[1]);
    }

    /// <summary>
    /// The meter's own cost, which the end-to-end runs cannot resolve from noise between two hosts: a
    /// million counts on parallel workers, then the flush of what they counted (rows of 64 users × 4
    /// keys × 3 actions, as a busy interval has).
    /// </summary>
    private static async Task MeterAloneAsync(UsageMeter meter, StorageRequestCounter requests, int workers, Measurement create)
    {
        const int Counts = 1_000_000;
        var callers = Enumerable.Range(0, 256).Select(i => new Caller(1_000_000 + (i / 4), new HashSet<string>(), $"k{i:D7}", default, TimeZoneInfo.Utc)).ToArray();
        string[] actions = ["task/form/file/create", "task/read", "file/stats/read"];
        await meter.FlushAsync(CancellationToken.None);
        var clock = Stopwatch.StartNew();
        Parallel.For(0, Counts, new ParallelOptions { MaxDegreeOfParallelism = workers }, i => meter.Count(callers[i % callers.Length], actions[i % actions.Length], 200, replayed: false));
        var perCount = clock.Elapsed.TotalNanoseconds / Counts * workers; // The time one call's thread spends.
        var before = requests.Count;
        clock.Restart();
        await meter.FlushAsync(CancellationToken.None);
        var flushRequests = requests.Count - before;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"meter alone: {perCount:F0} ns a call on {workers} workers = {perCount / 1e6 / create.LatenciesMs.Average() * 100:F4} % of a create; a flush of {callers.Length * actions.Length} rows took {clock.ElapsedMilliseconds} ms and {flushRequests} storage requests (2 a row), once per interval whatever the call count"));
    }

    private static Task<BenchHost.Setup.BenchUser[]> UsersAsync(HttpClient client, int workers, int tasksPerUser) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => BenchHost.Setup.UserWithTasksAsync(client, tasksPerUser)));

    private static async Task CreateAsync(HttpClient client, BenchHost.Setup.BenchUser user, int task, int i, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/task/form/file/create")
        {
            Content = JsonContent.Create(new JsonObject { ["task_id"] = user.Tasks[task], ["field_id"] = "photo", ["size"] = 100_000 + i, ["filename"] = "parcel.jpg" }),
        };
        request.Headers.TryAddWithoutValidation("Authorization", $"NVX {user.Hash}");
        if (key is not null)
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        using var response = await client.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"create failed: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The claim and the kept answer of one key, as the service writes them (an answer of a create's size).</summary>
    private static async Task KeyRowWritesAsync(TableClient table)
    {
        var row = new TableEntity("0000000000000000001", Guid.NewGuid().ToString("N")) { ["Fingerprint"] = new string('0', 64), ["State"] = "running", ["Until"] = DateTimeOffset.UtcNow };
        row.ETag = (await table.AddEntityAsync(row)).Headers.ETag ?? ETag.All;
        row["State"] = "done";
        row["Status"] = 200;
        row["Body0"] = new byte[700];
        await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
    }

    private static void Report(Measurement[] results, double[] requestsPerCall, int workers)
    {
        var (off, on, keyed, floor) = (results[0], results[1], results[2], results[3]);
        Console.WriteLine();
        Console.WriteLine($"task/form/file/create, {off.LatenciesMs.Length} creates a run by {workers} parallel workers");
        Console.WriteLine("| run | mean ms | p50 ms | p99 ms | calls/s | storage requests a call |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (var i = 0; i < results.Length; i++)
        {
            var m = results[i];
            var perCall = i < requestsPerCall.Length ? requestsPerCall[i].ToString("F2", CultureInfo.InvariantCulture) : "2";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {m.Name} | {m.LatenciesMs.Average():F2} | {m.P50:F2} | {m.P99:F2} | {m.Throughput:F0} | {perCall} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"metering: on / off = {on.LatenciesMs.Average() / off.LatenciesMs.Average():F3}× mean, {on.P50 / off.P50:F3}× p50, {off.Throughput / on.Throughput:F3}× throughput (goal ≤ 1.03)"));
        var keyCost = keyed.LatenciesMs.Average() - on.LatenciesMs.Average();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Idempotency-Key: +{keyCost:F2} ms a call (mean), {keyed.P50 - on.P50:+0.00;-0.00} ms p50; its two row writes alone: {floor.LatenciesMs.Average():F2} ms mean → {keyCost / floor.LatenciesMs.Average():F2}× (goal ≤ 1)"));
    }
}
