using FormFiles.Telemetry;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Telemetry;

[Collection(ServiceFixture.Collection)]
public sealed class CounterSummaryTests(ServiceFixture service)
{
    [Fact]
    public async Task With_an_otlp_endpoint_the_devhost_exports_every_signal_and_writes_no_summary()
    {
        await using var factory = new FormFilesFactory(new Dictionary<string, string?>(service.NewStorage().Settings)
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9",
        });
        factory.StartServer();

        Assert.NotNull(factory.Services.GetService<TracerProvider>());
        Assert.NotNull(factory.Services.GetService<MeterProvider>());
        Assert.Contains(factory.Services.GetServices<ILoggerProvider>(), provider => provider is OpenTelemetryLoggerProvider);
        Assert.DoesNotContain(factory.Services.GetServices<IHostedService>(), hosted => hosted is CounterSummary);
    }

    [Fact]
    public async Task Without_an_exporter_the_devhost_records_no_trace_and_summarises_its_counters()
    {
        await using var factory = FormFilesFactory.ForStorage(service.NewStorage().ConnectionString);
        factory.StartServer();

        Assert.Null(factory.Services.GetService<TracerProvider>());
        Assert.Contains(factory.Services.GetServices<IHostedService>(), hosted => hosted is CounterSummary);
    }

    [Fact]
    public async Task Without_an_exporter_the_devhost_writes_its_counters_once_a_minute()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = FormFilesFactory.OnClock(service.NewStorage(), clock);
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
