using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace FormFiles.Telemetry;

/// <summary>
/// For a host that exports nowhere (the DevHost without <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>): one log line a
/// minute with what this host's <c>FormFiles</c> counters counted in it. Only minutes that counted something
/// are written.
/// </summary>
public sealed partial class CounterSummary(FormFilesMetrics metrics, TimeProvider time, ILogger<CounterSummary> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, long> counted = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument is Counter<long> && instrument.Meter.Name == FormFilesMetrics.MeterName
                && instrument.Meter.Tags?.Any(t => t.Key == "service.instance.id" && Equals(t.Value, metrics.InstanceId)) == true)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => counted.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        listener.Start();

        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var minute = counted.Keys.ToDictionary(name => name, name => counted.TryRemove(name, out var sum) ? sum : 0);
            if (minute.Values.Any(v => v != 0))
                Summary(logger, Get("files.reserved"), Get("files.uploaded"), Get("files.rejected"), Get("files.deleted"), Get("files.expired"), Get("upload.bytes"), Get("webhook.deliveries"), Get("api.calls"));

            long Get(string name) => minute.GetValueOrDefault("formfiles." + name);
        }
    }

    [LoggerMessage(EventId = 2700, Level = LogLevel.Information,
        Message = "Last minute: {Reserved} reserved, {Uploaded} uploaded, {Rejected} rejected, {Deleted} deleted, {Expired} expired, {UploadBytes} bytes uploaded, {Deliveries} webhook attempts, {Calls} API calls")]
    private static partial void Summary(ILogger logger, long reserved, long uploaded, long rejected, long deleted, long expired, long uploadBytes, long deliveries, long calls);
}
