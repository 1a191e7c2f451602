using System.Diagnostics;
using System.Diagnostics.Metrics;
using FormFiles.Health;

namespace FormFiles.Telemetry;

/// <summary>
/// The meter <c>FormFiles</c> (one per host, from its <see cref="IMeterFactory"/>): what happened to files,
/// webhook deliveries and API calls. Every count is taken after the change it counts committed, so a retried
/// or lost write never counts twice. The meter carries <c>service.instance.id</c>, this host's own.
/// </summary>
public sealed class FormFilesMetrics
{
    public const string MeterName = "FormFiles";

    private readonly Counter<long> reserved;
    private readonly Counter<long> uploaded;
    private readonly Counter<long> rejected;
    private readonly Counter<long> deleted;
    private readonly Counter<long> expired;
    private readonly Counter<long> uploadBytes;
    private readonly Counter<long> deliveries;
    private readonly Counter<long> calls;
    private readonly Histogram<double> callDuration;
    private readonly Histogram<double> completionDelay;

    public FormFilesMetrics(IMeterFactory meterFactory, SweepRecord sweeps)
    {
        InstanceId = Guid.NewGuid().ToString("N");
        var meter = meterFactory.Create(new MeterOptions(MeterName) { Tags = [new("service.instance.id", InstanceId)] });
        reserved = meter.CreateCounter<long>("formfiles.files.reserved", "{file}", "Reservations made");
        uploaded = meter.CreateCounter<long>("formfiles.files.uploaded", "{file}", "Uploads completed");
        rejected = meter.CreateCounter<long>("formfiles.files.rejected", "{file}", "Uploads rejected at completion, by reason");
        deleted = meter.CreateCounter<long>("formfiles.files.deleted", "{file}", "Files deleted, by reason");
        expired = meter.CreateCounter<long>("formfiles.files.expired", "{file}", "Reservations that expired without an upload");
        uploadBytes = meter.CreateCounter<long>("formfiles.upload.bytes", "By", "Bytes of completed uploads");
        deliveries = meter.CreateCounter<long>("formfiles.webhook.deliveries", "{attempt}", "Webhook delivery attempts, by outcome");
        calls = meter.CreateCounter<long>("formfiles.api.calls", "{call}", "API calls, by action and Navixy code (0: success)");
        callDuration = meter.CreateHistogram("formfiles.api.duration", "s", "Time to answer an API call, by action", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10] });
        completionDelay = meter.CreateHistogram("formfiles.completion.delay", "s", "From the blob written to its upload completed", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] });
        meter.CreateObservableGauge<long>("formfiles.sweep.pending", () => sweeps.PendingAfterLastPass is { } items ? [new Measurement<long>(items)] : [],
            "{item}", "Due items the last sweep pass of this instance left pending (not yet due, or failed)");
    }

    /// <summary>This host's id on its meter (<c>service.instance.id</c>).</summary>
    public string InstanceId { get; }

    public void Reserved() => reserved.Add(1);

    public void Uploaded(long bytes, TimeSpan delay)
    {
        uploaded.Add(1);
        uploadBytes.Add(bytes);
        completionDelay.Record(Math.Max(0, delay.TotalSeconds));
    }

    public void Rejected(string kind) => rejected.Add(1, new KeyValuePair<string, object?>("reason", kind));

    public void Deleted(string reason, int files = 1) => deleted.Add(files, new KeyValuePair<string, object?>("reason", reason));

    public void Expired() => expired.Add(1);

    public void Delivered(string outcome) => deliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Called(string action, int code, TimeSpan duration)
    {
        var tags = new TagList { { "action", action }, { "code", code } };
        calls.Add(1, tags);
        callDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("action", action));
    }
}
