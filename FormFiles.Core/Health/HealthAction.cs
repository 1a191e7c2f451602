using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FormFiles.Api;
using FormFiles.Files;
using FormFiles.Storage;
using FormFiles.Webhooks;

namespace FormFiles.Health;

/// <summary>
/// <c>GET /v2/health</c>, no key: storage (Table and Blob Storage answer, and, when SAS URLs are signed
/// with a user delegation key, a key can be had), the sweep (its last completed pass), and the backlogs
/// (the oldest pending item past its due time, the oldest undelivered webhook delivery). 200 when all
/// is well; 503 with code 14 and what failed when a store does not answer or the sweep is more than three
/// intervals late.
/// </summary>
internal sealed class HealthAction(
    TableServiceClient tables, BlobServiceClient blobs, Tables serviceTables, SweepRecord sweeps, WebhookDeliveries deliveries,
    UserDelegationKeys delegationKeys, IOptions<FormFilesOptions> options, TimeProvider time, ILogger<HealthAction> logger)
    : IApiAction
{
    private const string Ok = "ok";
    private const string Unavailable = "unavailable";

    /// <summary>How long each probe may take before that store counts as unavailable.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public string Name => "health";

    public bool UsesApiKey => false;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        (DateTimeOffset? Sweep, DateTimeOffset? Pending, DateTimeOffset? Webhooks) seen = default;
        var tablesProbe = ProbeAsync("tables", async token =>
        {
            await foreach (var _ in tables.QueryAsync(filter: (string?)null, maxPerPage: 1, cancellationToken: token).AsPages())
                break;
            var sweep = sweeps.LastCompletedAsync(token);
            var pending = OldestOverdueAsync(now, token);
            var webhooks = deliveries.OldestDueAsync(token);
            seen = (await sweep, await pending, await webhooks);
        }, cancellationToken);
        var blobsProbe = ProbeAsync("blobs", async token =>
        {
            await foreach (var _ in blobs.GetBlobContainersAsync(cancellationToken: token).AsPages(pageSizeHint: 1))
                break;
        }, cancellationToken);
        var signingProbe = options.Value.SasSigning == SasSigning.UserDelegation
            ? ProbeAsync("sas signing", token => delegationKeys.GetAsync(time.GetUtcNow() + options.Value.ReservationTtl, token), cancellationToken)
            : null;
        var storage = new StorageHealth(await tablesProbe, await blobsProbe, signingProbe is null ? null : await signingProbe);
        var interval = options.Value.SweepInterval;
        var tablesRead = storage.Tables == Ok;
        var sweep = new SweepHealth(
            (long)interval.TotalSeconds, seen.Sweep, Age(seen.Sweep, now), sweeps.LastPassItems,
            tablesRead && SweepRecord.IsLate(seen.Sweep, sweeps.InstanceStart, now, interval));
        var pending = new BacklogHealth(seen.Pending, Age(seen.Pending, now));
        var webhooks = new BacklogHealth(seen.Webhooks, Age(seen.Webhooks, now));

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
            new HealthFailure(new ErrorStatus((int)ErrorCode.StorageUnavailable, description), storage, tablesRead ? sweep : null, tablesRead ? pending : null, tablesRead ? webhooks : null));
    }

    /// <summary>Whole seconds from <paramref name="since"/> to <paramref name="now"/>, never negative (another instance's clock may run ahead).</summary>
    private static long? Age(DateTimeOffset? since, DateTimeOffset now) => since is { } at ? Math.Max(0, (long)(now - at).TotalSeconds) : null;

    /// <summary>The due time of the oldest row of the pending index that is due: the first row of each shard's due minutes.</summary>
    private async Task<DateTimeOffset?> OldestOverdueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var firsts = await Task.WhenAll(Enumerable.Range(0, PendingEntity.Shards).Select(async shard =>
        {
            await foreach (var row in serviceTables.Pending.QueryAsync<PendingEntity>(PendingEntity.DueFilter(shard, now), maxPerPage: 1, cancellationToken: cancellationToken))
                return (DateTimeOffset?)row.Due;
            return null;
        }));
        return firsts.Min();
    }

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
internal sealed record SweepHealth(long IntervalSeconds, DateTimeOffset? LastCompleted, long? AgeSeconds, int? LastPassItems, bool Late);

/// <summary>A backlog: when its oldest item fell due, and how many seconds ago (0 while it is not yet due); nulls when there is none.</summary>
internal sealed record BacklogHealth(DateTimeOffset? OldestDue, long? AgeSeconds);

internal sealed record HealthResponse(StorageHealth Storage, SweepHealth Sweep, BacklogHealth Pending, BacklogHealth Webhooks) : ApiResponse;

internal sealed record HealthFailure(
    ErrorStatus Status, StorageHealth Storage, SweepHealth? Sweep, BacklogHealth? Pending, BacklogHealth? Webhooks) : ErrorResponse(Status);

internal static partial class HealthLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Health probe of {Store} failed")]
    public static partial void StoreUnavailable(ILogger logger, Exception exception, string store);
}
