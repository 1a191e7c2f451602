using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Telemetry;

[Collection(ServiceFixture.Collection)]
public sealed class CounterSummaryTests(ServiceFixture service)
{
    [Fact]
    public async Task Without_an_exporter_the_devhost_writes_its_counters_once_a_minute()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = FormFilesFactory.OnClock(service.Azurite.ConnectionString, clock);
        factory.StartServer();
        using var client = factory.CreateClient();
        for (var i = 0; i < 3; i++)
            await client.GetAsync("/v2/health");
        await client.GetAsync("/v2/no/such/action");

        clock.Advance(TimeSpan.FromMinutes(1));

        var collector = factory.Services.GetFakeLogCollector();
        Assert.True(await Uploads.EventuallyAsync(() => Task.FromResult(collector.GetSnapshot().Any(l => l.Id.Id == 2700))));
        var summary = Assert.Single(collector.GetSnapshot(), l => l.Id.Id == 2700);
        Assert.Contains("4 API calls", summary.Message);
        Assert.StartsWith("Last minute: 0 reserved, 0 uploaded", summary.Message);

        // A minute with nothing counted writes nothing.
        clock.Advance(TimeSpan.FromMinutes(1));
        await Task.Delay(200);
        Assert.Single(collector.GetSnapshot(), l => l.Id.Id == 2700);
    }
}
