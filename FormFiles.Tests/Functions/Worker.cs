using FormFiles.Tests.Infrastructure;
using FormFiles.WorkerHost;

namespace FormFiles.Tests.Functions;

/// <summary>
/// The real FormFiles.Functions worker (its build output, as deployed) in a process of its own, behind the test host of
/// FormFiles.WorkerHost, on storage of the test's own, with the settings every test host has (admin key, fast webhook
/// retries, loopback targets, limits out of the way) given as the app settings the Functions host gives: environment variables.
/// </summary>
internal sealed class Worker : IAsyncDisposable
{
    private Worker(FunctionsWorkerHost host)
    {
        Host = host;
        Client = new HttpClient { BaseAddress = host.BaseAddress };
    }

    public FunctionsWorkerHost Host { get; }

    public HttpClient Client { get; }

    public static async Task<Worker> StartAsync(TestStorage storage, params (string Key, string Value)[] settings) =>
        new(await FunctionsWorkerHost.StartAsync(Options(storage, settings)));

    public static WorkerHostOptions Options(TestStorage storage, params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string>
        {
            ["FormFiles:AdminKey"] = Scenario.AdminKey,
            ["FormFiles:Webhooks:AllowPrivateTargets"] = "true",
            ["FormFiles:RateLimit:PermitsPerSecond"] = "100000",
            ["FormFiles:RateLimit:Burst"] = "1000000",
        };
        foreach (var (key, value) in ServiceFixture.FastWebhooks)
            all[key] = value!;
        foreach (var (key, value) in settings)
            all[key] = value;
        var environment = WorkerApp.Settings(storage.ConnectionString, all.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value));
        return new WorkerHostOptions(WorkerApp.BuiltDirectory(), environment);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
