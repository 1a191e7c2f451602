using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FormFiles.Api;
using FormFiles.Files;
using FormFiles.Storage;

namespace FormFiles.Health;

/// <summary>
/// <c>GET /v2/health</c>, no key: storage (Table and Blob Storage answer, and, when SAS URLs are signed
/// with a user delegation key, a key can be had), the sweep (its last completed pass), and the
/// <see cref="Backlogs"/>. 200 when all is well; 503 with code 14 and what failed when a store does not
/// answer or the sweep is more than three intervals late.
/// </summary>
internal sealed class HealthAction(
    TableServiceClient tables, BlobServiceClient blobs, SweepRecord sweeps, Backlogs backlogs,
    UserDelegationKeys delegationKeys, Calls.RateLimits limits, IOptions<FormFilesOptions> options, TimeProvider time, ILogger<HealthAction> logger)
    : IApiAction
{
    private const string Ok = "ok";
    private const string Unavailable = "unavailable";

    /// <summary>How long each probe may take before that store counts as unavailable.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public string Name => "health";

    public bool UsesApiKey => false;

    /// <summary>How long one probe answers every health call (each instance probes at most this often).</summary>
    public static readonly TimeSpan ProbeLifetime = TimeSpan.FromSeconds(2);

    /// <summary>Health's own bucket, shared by all its callers, whatever the keys' rate: enough for any number of monitors.</summary>
    public static readonly Calls.RatePolicy Policy = new(50, 100);

    private readonly object gate = new();
    private (Task<Probe> Probe, DateTimeOffset Started)? last;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        // Its own bucket, and a probe shared by the calls of its lifetime: health costs storage at a fixed rate, however often it is called.
        if (limits.AcquireOwn("health/", Policy).Refusal(request.HttpContext.Response.Headers, "health's callers together") is { } refused)
            return refused;
        var (storage, lastSweep, backlog) = await CurrentProbe().WaitAsync(cancellationToken);
        var now = time.GetUtcNow();
        var interval = options.Value.SweepInterval;
        var tablesRead = storage.Tables == Ok;
        var sweep = new SweepHealth(
            (long)interval.TotalSeconds, lastSweep, Age(lastSweep, now), sweeps.PendingAfterLastPass,
            tablesRead && SweepRecord.IsLate(lastSweep, sweeps.InstanceStart, now, interval));
        var pending = backlog is null ? null : new PendingBacklog(backlog.OldestOverdue, Age(backlog.OldestOverdue, now));
        var webhooks = backlog is null ? null : new WebhookBacklog(backlog.Undelivered, backlog.OldestEvent, Age(backlog.OldestEvent, now));

        if (storage is { Tables: Ok, Blobs: Ok, SasSigning: Ok or null } && !sweep.Late)
            return ApiResults.Ok(new HealthResponse(storage, sweep, pending, webhooks));
        var failed = string.Join(" and ", new[] { ("tables", storage.Tables), ("blobs", storage.Blobs), ("sas signing", storage.SasSigning ?? Ok) }
            .Where(p => p.Item2 != Ok).Select(p => p.Item1));
        var description = string.Join("; ", new[]
        {
            failed.Length > 0 ? $"Database unavailable: {failed}" : null,
            sweep.Late ? $"Sweep late: no pass completed in more than three intervals ({3 * (long)interval.TotalSeconds} s)" : null,
        }.OfType<string>());
        return ApiResults.Error(
            ErrorCode.StorageUnavailable,
            new HealthFailure(new ErrorStatus((int)ErrorCode.StorageUnavailable, description), storage, tablesRead ? sweep : null, pending, webhooks));
    }

    private Task<Probe> CurrentProbe()
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (last is not { } known || now - known.Started >= ProbeLifetime || now < known.Started)
                last = known = (ProbeAllAsync(), now);
            return known.Probe;
        }
    }

    /// <summary>Every store's probe, the last sweep and the backlogs; shared by several calls, so none of them may cancel it.</summary>
    private async Task<Probe> ProbeAllAsync()
    {
        var cancellationToken = CancellationToken.None;
        DateTimeOffset? lastSweep = null;
        var tablesProbe = ProbeAsync("tables", async token =>
        {
            await foreach (var _ in tables.QueryAsync(filter: (string?)null, maxPerPage: 1, cancellationToken: token).AsPages())
                break;
            lastSweep = await sweeps.LastCompletedAsync(token);
        }, cancellationToken);
        var backlogsRead = backlogs.ReadAsync();
        var blobsProbe = ProbeAsync("blobs", async token =>
        {
            await foreach (var _ in blobs.GetBlobContainersAsync(cancellationToken: token).AsPages(pageSizeHint: 1))
                break;
        }, cancellationToken);
        var signingProbe = options.Value.SasSigning == SasSigning.UserDelegation
            ? ProbeAsync("sas signing", token => delegationKeys.GetAsync(time.GetUtcNow() + options.Value.ReservationTtl, token), cancellationToken)
            : null;
        var storage = new StorageHealth(await tablesProbe, await blobsProbe, signingProbe is null ? null : await signingProbe);
        return new Probe(storage, lastSweep, await backlogsRead);
    }

    private sealed record Probe(StorageHealth Storage, DateTimeOffset? LastSweep, Backlogs.Snapshot? Backlog);

    /// <summary>Whole seconds from <paramref name="since"/> to <paramref name="now"/>, never negative (another instance's clock may run ahead).</summary>
    private static long? Age(DateTimeOffset? since, DateTimeOffset now) => since is { } at ? Math.Max(0, (long)(now - at).TotalSeconds) : null;

    private async Task<string> ProbeAsync(string store, Func<CancellationToken, Task> probe, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await probe(timeout.Token);
            return Ok;
        }
        catch (Exception e) when (StorageFaults.IsStorageFailure(e) || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            HealthLog.StoreUnavailable(logger, e, store);
            return Unavailable;
        }
    }
}

/// <summary>Each store's probe; <see cref="SasSigning"/> only when SAS URLs are signed with user delegation keys.</summary>
internal sealed record StorageHealth(
    string Tables,
    string Blobs,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? SasSigning);

/// <summary>The sweep: its interval, the last pass any instance completed and its age in seconds, the due items this instance's last pass found, and whether it is late.</summary>
internal sealed record SweepHealth(long IntervalSeconds, DateTimeOffset? LastCompleted, long? AgeSeconds, int? PendingAfterLastPass, bool Late);

/// <summary>The pending index: when its oldest item past due fell due, and how many seconds ago; nulls when none is.</summary>
internal sealed record PendingBacklog(DateTimeOffset? OldestDue, long? AgeSeconds);

/// <summary>Undelivered webhook deliveries (counted up to <see cref="Backlogs.ScanLimit"/> a shard), and when the oldest of their events happened.</summary>
internal sealed record WebhookBacklog(int Undelivered, DateTimeOffset? OldestEvent, long? AgeSeconds);

/// <summary>Health; <see cref="Pending"/> and <see cref="Webhooks"/> are null when the backlogs could not be read.</summary>
internal sealed record HealthResponse(StorageHealth Storage, SweepHealth Sweep, PendingBacklog? Pending, WebhookBacklog? Webhooks) : ApiResponse;

internal sealed record HealthFailure(
    ErrorStatus Status, StorageHealth Storage, SweepHealth? Sweep, PendingBacklog? Pending, WebhookBacklog? Webhooks) : ErrorResponse(Status);

internal static partial class HealthLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Health probe of {Store} failed")]
    public static partial void StoreUnavailable(ILogger logger, Exception exception, string store);
}
