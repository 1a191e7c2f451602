using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FormFiles.Api;
using FormFiles.Files;
using FormFiles.Storage;

namespace FormFiles.Health;

/// <summary>
/// <c>GET /v2/health</c>, no key: 200 when Table and Blob Storage both answer (and, when SAS URLs are
/// signed with a user delegation key, a key can be had), otherwise 503 with code 14 and what failed.
/// </summary>
internal sealed class HealthAction(
    TableServiceClient tables, BlobServiceClient blobs, UserDelegationKeys delegationKeys, IOptions<FormFilesOptions> options, TimeProvider time, ILogger<HealthAction> logger)
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
        var tablesProbe = ProbeAsync("tables", async token =>
        {
            await foreach (var _ in tables.QueryAsync(filter: (string?)null, maxPerPage: 1, cancellationToken: token).AsPages())
                break;
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

        if (storage is { Tables: Ok, Blobs: Ok, SasSigning: Ok or null })
            return ApiResults.Ok(new HealthResponse(storage));
        var failed = string.Join(" and ", new[] { ("tables", storage.Tables), ("blobs", storage.Blobs), ("sas signing", storage.SasSigning ?? Ok) }
            .Where(p => p.Item2 != Ok).Select(p => p.Item1));
        return ApiResults.Error(
            ErrorCode.StorageUnavailable,
            new HealthFailure(new ErrorStatus((int)ErrorCode.StorageUnavailable, $"Database unavailable: {failed}"), storage));
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

internal sealed record HealthResponse(StorageHealth Storage) : ApiResponse;

internal sealed record HealthFailure(ErrorStatus Status, StorageHealth Storage) : ErrorResponse(Status);

internal static partial class HealthLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Health probe of {Store} failed")]
    public static partial void StoreUnavailable(ILogger logger, Exception exception, string store);
}
