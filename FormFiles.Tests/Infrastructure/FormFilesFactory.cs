using Azure.Core;
using Azure.Core.Pipeline;
using FormFiles.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// The DevHost's real pipeline on Kestrel (a loopback port), with the given settings, and with
/// the test-only actions of <see cref="TestActions"/> added beside the real ones. Only the run's own
/// host (<see cref="ServiceFixture"/>) may serve the run's shared account: any other host, with its clock,
/// settings, faults and background passes, would reach into other tests' rows and deliveries, and theirs
/// into its own, so it refuses to start there (it takes <see cref="ServiceFixture.NewStorage"/>).
/// </summary>
public sealed class FormFilesFactory : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> settings;
    private readonly Action<IServiceCollection>? configureServices;

    public FormFilesFactory(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null)
    {
        this.settings = settings;
        this.configureServices = configureServices;
        UseKestrel(0);
    }

    public static FormFilesFactory ForStorage(string connectionString, Action<IServiceCollection>? configureServices = null) =>
        new(new Dictionary<string, string?> { ["FormFiles:Storage:ConnectionString"] = connectionString }, configureServices);

    /// <summary>
    /// A host on <paramref name="storage"/> and <paramref name="clock"/>, with the run's admin key; it has no sweep or reconciliation
    /// loops (<see cref="WithoutLoopsOnAFakeClock"/>), so only the test sweeps or reconciles. <paramref name="settings"/> add to or replace its settings.
    /// </summary>
    public static FormFilesFactory OnClock(TestStorage storage, TimeProvider clock, HttpPipelinePolicy? fault = null, params (string Key, string? Value)[] settings)
    {
        var all = new Dictionary<string, string?>(ServiceFixture.FastWebhooks)
        {
            ["FormFiles:Storage:ConnectionString"] = storage.ConnectionString,
            ["FormFiles:AdminKey"] = Scenario.AdminKey,
            ["FormFiles:SweepInterval"] = "1.00:00:00",
            ["FormFiles:ReconcileInterval"] = "1.00:00:00",
            ["FormFiles:SweepBudget"] = "100000",
        };
        foreach (var (key, value) in settings)
            all[key] = value;
        return new(all, services =>
        {
            services.AddSingleton(clock);
            if (fault is not null)
                services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(fault, HttpPipelinePosition.PerCall)));
        });
    }

    private int hostsCreated;

    /// <summary>Whether this is the run's own host, the one host of the shared account.</summary>
    public bool IsTheRunsHost { get; init; }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        // The run's factory makes one host; another through it (WithWebHostBuilder) would be a second host on the shared account.
        if (IsTheRunsHost && Interlocked.Exchange(ref hostsCreated, 1) == 1)
            throw new InvalidOperationException("The run's factory serves one host; a test's own host needs storage of its own (ServiceFixture.NewStorage).");
        var host = base.CreateHost(builder);
        var storage = host.Services.GetRequiredService<IOptions<FormFilesOptions>>().Value.Storage.ConnectionString;
        if (!IsTheRunsHost && storage is not null && storage == ServiceFixture.SharedConnectionString)
        {
            host.Dispose();
            throw new InvalidOperationException("A test's own host needs storage of its own (ServiceFixture.NewStorage), not the run's shared account.");
        }

        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Refused before the host starts (its background passes would reach the shared account at once).
        if (!IsTheRunsHost && settings.TryGetValue("FormFiles:Storage:ConnectionString", out var storage) && storage == ServiceFixture.SharedConnectionString)
            throw new InvalidOperationException("A test's own host needs storage of its own (ServiceFixture.NewStorage), not the run's shared account.");
        builder.UseSetting("urls", "http://127.0.0.1:0");
        // Tests call fast and in parallel with one key; the rate-limit tests set their own limits.
        builder.UseSetting("FormFiles:RateLimit:PermitsPerSecond", "100000");
        builder.UseSetting("FormFiles:RateLimit:Burst", "1000000");
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IApiAction, TestActions.Echo>();
            services.AddSingleton<IApiAction, TestActions.Fail>();
            services.AddSingleton<IApiAction, TestActions.StorageDown>();
            services.AddSingleton<IApiAction, TestActions.NoCredential>();
            services.AddSingleton<IApiAction, TestActions.Unwritable>();
            services.AddFakeLogging();
            services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, ApiConformance.Filter>();
            configureServices?.Invoke(services);
            WithoutLoopsOnAFakeClock(services);
        });
    }

    /// <summary>
    /// On a test's clock the DevHost's sweep and reconciliation loops would tick whenever the test advances it, in the
    /// background and racing the passes the test runs itself: such a host has no loops, and only the test sweeps or reconciles.
    /// </summary>
    private static void WithoutLoopsOnAFakeClock(IServiceCollection services)
    {
        if (services.LastOrDefault(d => d.ServiceType == typeof(TimeProvider))?.ImplementationInstance is not Microsoft.Extensions.Time.Testing.FakeTimeProvider)
            return;
        foreach (var loop in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.IsSubclassOf(typeof(FormFiles.DevHost.MaintenanceLoop)) == true).ToList())
            services.Remove(loop);
    }
}
