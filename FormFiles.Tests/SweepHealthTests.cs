using System.Net;
using Azure.Data.Tables;
using FormFiles.DevHost.Azurite;
using FormFiles.Files;
using FormFiles.Health;
using FormFiles.Storage;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Tests;

/// <summary>
/// Health's sweep and backlogs, on an Azurite of their own (the sweep record is shared by every host of a
/// storage account) and a clock that the test moves without firing the host's timers.
/// </summary>
public sealed class SweepHealthTests : IAsyncLifetime
{
    private AzuriteProcess azurite = null!;

    public async Task InitializeAsync() =>
        azurite = await AzuriteProcess.StartAsync(AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory), persistFolder: null, TextWriter.Null);

    public async Task DisposeAsync() => await azurite.DisposeAsync();

    [Fact]
    public async Task Health_reports_the_backlogs_and_is_503_when_the_sweep_is_three_intervals_late_until_a_pass_completes()
    {
        var clock = new ShiftedClock();
        await using var factory = new FormFilesFactory(
            new Dictionary<string, string?> { ["FormFiles:Storage:ConnectionString"] = azurite.ConnectionString, ["FormFiles:SweepInterval"] = "1.00:00:00" },
            services => services.AddSingleton<TimeProvider>(clock));
        factory.StartServer();
        using var client = factory.CreateClient();

        var fresh = (await HealthAsync(client)).AssertOk();
        Assert.Null(fresh.Body["sweep"]!["last_completed"]);
        Assert.False(fresh.Body["sweep"]!["late"]!.GetValue<bool>());
        Assert.Null(fresh.Body["pending"]!["oldest_due"]);
        Assert.Equal(0, fresh.Body["webhooks"]!["undelivered"]!.GetValue<int>());
        Assert.Null(fresh.Body["webhooks"]!["oldest_event"]);

        // An item that fell due two minutes ago (a file row that never came), and a delivery of an event five
        // minutes old whose next attempt is an hour away (a failing endpoint): the backlog counts the event's age.
        var tables = new TableServiceClient(azurite.ConnectionString);
        var now = clock.GetUtcNow();
        await tables.GetTableClient("pending").AddEntityAsync(new PendingEntity
        {
            PartitionKey = PendingEntity.Partition(now.AddMinutes(-2), 7), RowKey = Tables.Key(77), UserId = 1, TaskId = 7, FileId = 77, Expires = now.AddMinutes(-2),
        });
        await tables.GetTableClient("deliveriesdue").AddEntityAsync(new TableEntity($"3-{now.AddHours(1).UtcDateTime:yyyyMMddHHmm}", "x")
        {
            ["WebhookId"] = 0L,
            ["Delivery"] = $"{long.MaxValue - now.AddMinutes(-5).UtcTicks:D19}-msg_0123456789abcdef0123456789abcdef",
        });
        var cached = (await HealthAsync(client)).AssertOk(); // Backlogs are read at most every five seconds.
        Assert.Null(cached.Body["pending"]!["oldest_due"]);
        clock.Offset = Backlogs.CacheFor;
        var backlog = (await HealthAsync(client)).AssertOk();
        Assert.InRange(backlog.Body["pending"]!["age_seconds"]!.GetValue<long>(), 61, 240); // Due by the minute.
        Assert.Equal(1, backlog.Body["webhooks"]!["undelivered"]!.GetValue<int>());
        Assert.InRange(backlog.Body["webhooks"]!["age_seconds"]!.GetValue<long>(), 241, 360);

        // Three intervals and a minute without a pass: late.
        clock.Offset = TimeSpan.FromDays(3) + TimeSpan.FromMinutes(1);
        var late = await HealthAsync(client);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, false, 14), (late.HttpStatus, late.Success, late.Code));
        Assert.StartsWith("Sweep late", late.Description);
        Assert.True(late.Body["sweep"]!["late"]!.GetValue<bool>());
        Assert.Equal("ok", late.Body["storage"]!["tables"]!.GetValue<string>());

        // A completed pass ends it.
        await factory.Services.GetRequiredService<Maintenance>().SweepAsync(CancellationToken.None);
        clock.Offset += HealthAction.ProbeLifetime; // One probe answers every call of its lifetime.
        var swept = (await HealthAsync(client)).AssertOk();
        Assert.False(swept.Body["sweep"]!["late"]!.GetValue<bool>());
        Assert.InRange(swept.Body["sweep"]!["age_seconds"]!.GetValue<long>(), 0, (long)HealthAction.ProbeLifetime.TotalSeconds);
        Assert.True(swept.Body["sweep"]!["pending_after_last_pass"]!.GetValue<int>() >= 0);
        var completed = swept.Body["sweep"]!["last_completed"]!.GetValue<string>();

        // A pass on an earlier clock never moves the record back.
        clock.Offset = TimeSpan.Zero;
        await factory.Services.GetRequiredService<Maintenance>().SweepAsync(CancellationToken.None);
        clock.Offset = TimeSpan.FromDays(3) + TimeSpan.FromMinutes(1) + 2 * HealthAction.ProbeLifetime;
        Assert.Equal(completed, (await HealthAsync(client)).AssertOk().Body["sweep"]!["last_completed"]!.GetValue<string>());
    }

    [Fact]
    public async Task Parallel_passes_on_different_clocks_leave_the_latest_completion()
    {
        var service = new TableServiceClient(azurite.ConnectionString);
        await service.GetTableClient("maintenance").CreateIfNotExistsAsync();
        var start = DateTimeOffset.UtcNow;
        var clocks = Enumerable.Range(0, 24).Select(i => new ShiftedClock { Offset = TimeSpan.FromSeconds(i * 37 % 24) }).ToArray();

        await Parallel.ForEachAsync(clocks, new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (clock, token) =>
            await new SweepRecord(new Tables(service), clock).RecordAsync(1, token));

        var last = await new SweepRecord(new Tables(service), TimeProvider.System).LastCompletedAsync(CancellationToken.None);
        Assert.True(last >= start + TimeSpan.FromSeconds(23), $"{last:o} is not the latest of the passes (from {start:o} + 23 s)");
    }

    [Fact]
    public async Task Parallel_passes_whose_writes_land_but_lose_their_answers_still_leave_the_latest_completion()
    {
        var lost = new LostResponses(0.2) { Enabled = true };
        var options = new TableClientOptions { Retry = { MaxRetries = 10, Delay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) } };
        options.AddPolicy(lost, Azure.Core.HttpPipelinePosition.PerRetry);
        var service = new TableServiceClient(azurite.ConnectionString, options);
        await service.GetTableClient("maintenance").CreateIfNotExistsAsync();
        var start = DateTimeOffset.UtcNow;
        var clocks = Enumerable.Range(0, 16).Select(i => new ShiftedClock { Offset = TimeSpan.FromSeconds(i) }).ToArray();

        await Parallel.ForEachAsync(clocks, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (clock, token) =>
            await new SweepRecord(new Tables(service), clock).RecordAsync(0, token));

        Assert.True(lost.Lost > 0, "no answer was lost");
        var last = await new SweepRecord(new Tables(new TableServiceClient(azurite.ConnectionString)), TimeProvider.System).LastCompletedAsync(CancellationToken.None);
        Assert.True(last >= start + TimeSpan.FromSeconds(15), $"{last:o} is not the latest of the passes (from {start:o} + 15 s)");
    }

    [Theory]
    [InlineData(null, 0, 179, false)] // A fresh instance has three intervals before a first pass is due.
    [InlineData(null, 0, 181, true)]
    [InlineData(-600, 0, 179, true)] // A restart after a long stop is late until a pass completes.
    [InlineData(100, 0, 280, false)]
    [InlineData(100, 0, 281, true)]
    [InlineData(500, 0, 400, false)] // A pass stamped by a clock running ahead.
    public void The_sweep_is_late_after_three_intervals_since_the_later_of_its_last_pass_and_the_instance_start(int? lastPass, int start, int now, bool late)
    {
        var origin = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(late, SweepRecord.IsLate(lastPass is { } s ? origin.AddSeconds(s) : null, origin.AddSeconds(start), origin.AddSeconds(now), TimeSpan.FromMinutes(1)));
    }

    private static async Task<Envelope> HealthAsync(HttpClient client) => await Envelope.ReadAsync(await client.GetAsync("/v2/health"));
}
