using System.Diagnostics;
using System.Text.Json.Nodes;
using FormFiles.DevHost.Azurite;
using FormFiles.Files;
using FormFiles.Telemetry;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FormFiles.Tests.Telemetry;

/// <summary>
/// One create → upload → submit → sweep through the DevHost (an Azurite and a host of its own), read back
/// through OpenTelemetry's in-memory exporters: the counters, the activities and their tags, and the log
/// lines' ids; and no secret in any log line.
/// </summary>
public sealed class TelemetryTests : IAsyncLifetime
{
    private readonly Exported<Metric> metrics = new();
    private readonly Exported<Activity> activities = new();
    private AzuriteProcess azurite = null!;
    private FormFilesFactory factory = null!;
    private readonly ShiftedClock clock = new();

    public async Task InitializeAsync()
    {
        azurite = await AzuriteProcess.StartAsync(AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory), persistFolder: null, TextWriter.Null);
        factory = new FormFilesFactory(
            new Dictionary<string, string?>
            {
                ["FormFiles:Storage:ConnectionString"] = azurite.ConnectionString,
                ["FormFiles:AdminKey"] = Scenario.AdminKey,
                ["FormFiles:SweepInterval"] = "1.00:00:00",
                ["FormFiles:ReconcileInterval"] = "1.00:00:00", // Only the uploads complete: one completion a file.
            },
            services =>
            {
                services.AddSingleton<TimeProvider>(clock);
                services.AddOpenTelemetry()
                    .WithMetrics(m => m.AddInMemoryExporter(metrics))
                    .WithTracing(t => t.AddInMemoryExporter(activities));
            });
        factory.StartServer();
    }

    public async Task DisposeAsync()
    {
        await factory.DisposeAsync();
        await azurite.DisposeAsync();
    }

    [Fact]
    public async Task A_file_s_lifecycle_is_counted_traced_and_logged_with_its_ids()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync();
        var templateId = await user.CreateTemplateAsync([new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" }]);
        var taskId = await user.CreateTaskAsync(templateId);

        var kept = await user.ReserveAsync(taskId, "photo", 2000, "kept.jpg");
        (await kept.UploadAsync(Uploads.JpegLike(2000), "kept.jpg")).AssertOk();
        var dropped = await user.ReserveAsync(taskId, "photo", 1500, "dropped.jpg");
        (await dropped.UploadAsync(Uploads.JpegLike(1500), "dropped.jpg")).AssertOk();
        var rejected = await user.ReserveAsync(taskId, "photo", 100, "text.jpg");
        await rejected.UploadAsync(new byte[100], "text.jpg");
        var expired = await user.ReserveAsync(taskId, "photo", 100, "never.jpg");
        (await user.CallAsync("task/form/submit", new JsonObject
        {
            ["task_id"] = taskId,
            ["values"] = new JsonObject { ["photo"] = new JsonObject { ["type"] = "photo", ["file_ids"] = new JsonArray(kept.FileId) } },
        })).AssertOk();
        clock.Offset = TimeSpan.FromHours(2); // Past the reservations' hour.
        await factory.Services.GetRequiredService<Maintenance>().SweepAsync(CancellationToken.None);

        factory.Services.GetRequiredService<MeterProvider>().ForceFlush();
        factory.Services.GetRequiredService<TracerProvider>().ForceFlush();
        var instance = factory.Services.GetRequiredService<FormFilesMetrics>().InstanceId;
        var ours = metrics.Snapshot().Where(m => m.MeterName == FormFilesMetrics.MeterName && m.MeterTags?.Any(t => t.Key == "service.instance.id" && Equals(t.Value, instance)) == true).ToList();

        Assert.Equal(4, Sum(ours, "formfiles.files.reserved"));
        Assert.Equal(2, Sum(ours, "formfiles.files.uploaded"));
        Assert.Equal(3500, Sum(ours, "formfiles.upload.bytes"));
        Assert.Equal(1, Sum(ours, "formfiles.files.rejected", ("reason", "content")));
        Assert.Equal(1, Sum(ours, "formfiles.files.deleted", ("reason", "submission")));
        Assert.Equal(1, Sum(ours, "formfiles.files.expired"));
        Assert.Equal(4, Sum(ours, "formfiles.api.calls", ("action", "task/form/file/create"), ("code", 0)));
        Assert.Equal(1, Sum(ours, "formfiles.api.calls", ("action", "task/form/submit"), ("code", 0)));
        Assert.Equal(4, HistogramCount(ours, "formfiles.api.duration", ("action", "task/form/file/create")));
        Assert.Equal(2, HistogramCount(ours, "formfiles.completion.delay"));
        Assert.NotNull(Gauge(ours, "formfiles.sweep.pending"));

        // Activity sources are process-wide: what other tests' hosts did is exported here too. Ours reached our Azurite.
        var exported = activities.Snapshot();
        bool Ours(Activity activity) => exported.Any(c => c.TraceId == activity.TraceId && c.GetTagItem("url.full") is string url
                                                            && (url.Contains($":{azurite.TableEndpoint.Port}/", StringComparison.Ordinal) || url.Contains($":{azurite.BlobEndpoint.Port}/", StringComparison.Ordinal)));
        var traced = exported.Where(a => a.Source.Name == Lifecycle.SourceName && Ours(a)).ToList();
        var create = Assert.Single(traced, a => a.DisplayName == "api task/form/file/create" && Equals(a.GetTagItem(Lifecycle.FileTag), kept.FileId));
        Assert.Equal(user.Id, create.GetTagItem(Lifecycle.UserTag));
        Assert.Equal(taskId, create.GetTagItem(Lifecycle.TaskTag));
        var submit = Assert.Single(traced, a => a.DisplayName == "api task/form/submit");
        Assert.Equal((user.Id, taskId), (submit.GetTagItem(Lifecycle.UserTag), submit.GetTagItem(Lifecycle.TaskTag)));
        var completion = Assert.Single(traced, a => a.DisplayName == "completion" && Equals(a.GetTagItem(Lifecycle.FileTag), kept.FileId));
        Assert.Equal((user.Id, taskId), (completion.GetTagItem(Lifecycle.UserTag), completion.GetTagItem(Lifecycle.TaskTag)));
        var sweep = Assert.Single(traced, a => a.DisplayName == "sweep");
        // The Azure SDK's spans are children of ours.
        Assert.Contains(exported, a => a.Source.Name.StartsWith("Azure.", StringComparison.Ordinal) && a.ParentSpanId == create.SpanId);
        Assert.Contains(exported, a => a.Source.Name.StartsWith("Azure.", StringComparison.Ordinal) && a.ParentSpanId == sweep.SpanId);

        var logs = factory.Services.GetFakeLogCollector().GetSnapshot();
        foreach (var (eventId, fileId) in new[] { (1900, kept.FileId), (2000, kept.FileId), (2001, rejected.FileId), (2201, expired.FileId) })
        {
            var line = Assert.Single(logs, l => l.Id.Id == eventId && Fields(l).Contains(("FileId", fileId.ToString())));
            Assert.Contains(("UserId", user.Id.ToString()), Fields(line));
            Assert.Contains(("TaskId", taskId.ToString()), Fields(line));
        }

        var secrets = new[] { user.Hash, Scenario.AdminKey, kept.Token, dropped.Token, expired.Token, kept.SasUrl.Query, expired.SasUrl.Query };
        Assert.All(logs, line => Assert.DoesNotContain(Fields(line).Select(f => f.Value).Append(line.Message).Append(line.Exception?.ToString() ?? string.Empty),
            text => secrets.Any(secret => text.Contains(secret, StringComparison.Ordinal))));
    }

    private static long Sum(IEnumerable<Metric> metrics, string name, params (string Key, object Value)[] tags) =>
        Points(metrics, name, tags).Sum(p => p.GetSumLong());

    private static long HistogramCount(IEnumerable<Metric> metrics, string name, params (string Key, object Value)[] tags) =>
        Points(metrics, name, tags).Sum(p => p.GetHistogramCount());

    private static long? Gauge(IEnumerable<Metric> metrics, string name) => Points(metrics, name, []).Select(p => (long?)p.GetGaugeLastValueLong()).LastOrDefault();

    /// <summary>The points of the last export of <paramref name="name"/> whose tags include <paramref name="tags"/>.</summary>
    private static List<MetricPoint> Points(IEnumerable<Metric> metrics, string name, (string Key, object Value)[] tags)
    {
        var metric = metrics.Last(m => m.Name == name);
        var points = new List<MetricPoint>();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var pointTags = new List<(string, object?)>();
            foreach (var tag in point.Tags)
                pointTags.Add((tag.Key, tag.Value));
            if (tags.All(t => pointTags.Any(p => p.Item1 == t.Key && Equals(Convert.ToString(p.Item2, System.Globalization.CultureInfo.InvariantCulture), Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture)))))
                points.Add(point);
        }

        return points;
    }

    /// <summary>A log line's structured fields: its own and its scopes'.</summary>
    private static List<(string Key, string Value)> Fields(FakeLogRecord line) =>
        (line.StructuredState ?? [])
        .Select(kv => (kv.Key, kv.Value ?? string.Empty))
        .Concat(line.Scopes.OfType<IEnumerable<KeyValuePair<string, object>>>().SelectMany(s => s).Select(kv => (kv.Key, Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty)))
        .ToList();

    /// <summary>What an in-memory exporter appends to, from its own thread, while the test reads it.</summary>
    private sealed class Exported<T> : ICollection<T>
    {
        private readonly List<T> items = [];

        public int Count { get { lock (items) return items.Count; } }

        public bool IsReadOnly => false;

        public List<T> Snapshot() { lock (items) return [.. items]; }

        public void Add(T item) { lock (items) items.Add(item); }

        public void Clear() { lock (items) items.Clear(); }

        public bool Contains(T item) { lock (items) return items.Contains(item); }

        public void CopyTo(T[] array, int arrayIndex) { lock (items) items.CopyTo(array, arrayIndex); }

        public bool Remove(T item) { lock (items) return items.Remove(item); }

        public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
