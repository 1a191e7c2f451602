using FormFiles.DevHost.Azurite;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// One Azurite (in memory, free loopback ports) for the whole run, and the DevHost pipeline over
/// its development account on Kestrel, shared by the tests of the collection; further accounts in the
/// same Azurite are storage of a test's own (<see cref="NewStorage"/>). Azurite is killed when the run
/// ends, whatever the results; if the test process dies instead, Azurite sees its stdin close and exits too.
/// </summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    public const string Collection = "service";

    /// <summary>
    /// Webhook retries in fractions of a second, so that a whole schedule fits in a test. Every host on
    /// the shared Azurite has them: the runner of any host may pick up any due delivery.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> FastWebhooks = new Dictionary<string, string?>
    {
        ["FormFiles:Webhooks:Timeout"] = "00:00:02",
        ["FormFiles:Webhooks:PollInterval"] = "00:00:00.100",
        ["FormFiles:Webhooks:RetrySchedule:0"] = "00:00:00",
        ["FormFiles:Webhooks:RetrySchedule:1"] = "00:00:00.200",
        ["FormFiles:Webhooks:RetrySchedule:2"] = "00:00:00.200",
        ["FormFiles:Webhooks:RetrySchedule:3"] = "00:00:00.500",
    };

    /// <summary>Accounts for <see cref="NewStorage"/>: more than the tests that take one.</summary>
    private const int Accounts = 400;

    private AzuriteProcess? azurite;
    private int accountsTaken;

    /// <summary>The shared account, which no host but the run's own may serve (see <see cref="FormFilesFactory"/>).</summary>
    public static string? SharedConnectionString { get; private set; }

    public AzuriteProcess Azurite => azurite ?? throw new InvalidOperationException("Not started.");

    public FormFilesFactory Factory { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        azurite = await AzuriteProcess.StartAsync(root, persistFolder: null, Console.Out, Accounts);
        SharedConnectionString = azurite.ConnectionString;
        try
        {
            Factory = new FormFilesFactory(new Dictionary<string, string?>(FastWebhooks)
            {
                ["FormFiles:Storage:ConnectionString"] = azurite.ConnectionString,
                ["FormFiles:AdminKey"] = Scenario.AdminKey,
                // Nothing of the shared account comes due within a run (its reservations live an hour), so its sweep waits.
                ["FormFiles:SweepInterval"] = "1.00:00:00",
            }) { IsTheRunsHost = true };
            Factory.StartServer();
            Client = Factory.CreateClient();
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>An account of the run's Azurite that no other test has: see <see cref="TestStorage"/>.</summary>
    public TestStorage NewStorage()
    {
        var index = Interlocked.Increment(ref accountsTaken) - 1;
        if (index >= Accounts)
            throw new InvalidOperationException($"More than {Accounts} tests took storage of their own: raise ServiceFixture.Accounts.");
        return new TestStorage(Azurite.AccountConnectionString(index));
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Factory is not null)
            await Factory.DisposeAsync();
        if (azurite is not null)
            await azurite.DisposeAsync();
    }
}

[CollectionDefinition(ServiceFixture.Collection)]
public sealed class ServiceFixtureCollection : ICollectionFixture<ServiceFixture>;
