using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;

namespace FormFiles.Files;

/// <summary>
/// The blobs of files (design §5, issue 22). An upload goes to <c>form-files/{user_id}/{task_id}/{file_id}</c>
/// (ids only) through a SAS that may only <em>create</em> that one blob: one Put Blob, no overwrite, no
/// blocks, no lease (valid from five minutes ago for clock skew until the reservation expires, HTTPS-only
/// unless the blob endpoint itself is plain http). Completion leases it (which that SAS cannot break),
/// snapshots it and judges the snapshot; accepted bytes are copied from the snapshot to
/// <c>accepted-files</c> under the same name, where no upload SAS reaches, and that copy is what
/// downloads serve. The upload name then holds an empty tombstone under the file's lease until its SAS
/// has expired, so the credential can no longer add, keep or change a byte. Signed with the account key,
/// or with a cached user delegation key.
/// </summary>
public sealed class FileBlobs(BlobServiceClient service, UserDelegationKeys delegationKeys, IOptions<FormFilesOptions> options, TimeProvider time)
{
    public const string ContainerName = "form-files";

    public const string AcceptedContainerName = "accepted-files";

    /// <summary>How far this service's clock and storage's may disagree: SAS start times and upload times allow for it.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Where uploads land (the upload SAS's one blob).</summary>
    public BlobContainerClient Container { get; } = service.GetBlobContainerClient(ContainerName);

    /// <summary>The accepted bytes, copied from the judged snapshot: what downloads serve.</summary>
    public BlobContainerClient Accepted { get; } = service.GetBlobContainerClient(AcceptedContainerName);

    public static string Name(long userId, long taskId, long fileId) => $"{userId}/{taskId}/{fileId}";

    /// <summary>Where an upload whose file came before its fields waits for them, in <see cref="Accepted"/> (infra/ deletes leftovers after a day).</summary>
    public const string StagingPrefix = "staging/";

    /// <summary>The names of the blobs under a task, in one listing.</summary>
    public async Task<HashSet<string>> NamesAsync(long userId, long taskId, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var blob in Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{userId}/{taskId}/", cancellationToken))
            names.Add(blob.Name);
        return names;
    }

    /// <summary>A read SAS for one accepted file's bytes that saves them under <paramref name="filename"/> (RFC 6266, any Unicode name).</summary>
    public async Task<Uri> DownloadSasAsync(string blobName, string? filename, string? mimeType, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(filename ?? blobName[(blobName.LastIndexOf('/') + 1)..]);
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, now + options.Value.DownloadUrlTtl)
        {
            BlobContainerName = AcceptedContainerName,
            BlobName = blobName,
            Resource = "b",
            StartsOn = now - ClockSkew,
            ContentDisposition = disposition.ToString(),
            ContentType = mimeType,
        };
        return await SignAsync(Accepted.GetBlobClient(blobName), sas, cancellationToken);
    }

    /// <summary>The upload SAS: create (one Put Blob of a blob that does not exist yet) on exactly <paramref name="blobName"/>.</summary>
    public async Task<Uri> UploadSasAsync(string blobName, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        var blob = Container.GetBlobClient(blobName);
        var sas = new BlobSasBuilder(BlobSasPermissions.Create, expires)
        {
            BlobContainerName = ContainerName,
            BlobName = blobName,
            Resource = "b",
            StartsOn = time.GetUtcNow() - ClockSkew,
        };
        return await SignAsync(blob, sas, cancellationToken);
    }

    /// <summary>
    /// Takes the file's infinite lease on its upload blob, after which only the service can write it.
    /// Taking it again with the same id succeeds, so every completion of the file may call this. False
    /// when there is no blob.
    /// </summary>
    /// <remarks>A lease under another id (none that an upload SAS could take) is broken first: only the file's lease counts.</remarks>
    public async Task<bool> LeaseAsync(string blobName, string leaseId, CancellationToken cancellationToken)
    {
        var blob = Container.GetBlobClient(blobName);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await blob.GetBlobLeaseClient(leaseId).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration, cancellationToken: cancellationToken);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return false;
            }
            catch (RequestFailedException e) when (e.Status == 409 && attempt < 3)
            {
                await BreakLeaseAsync(blob, cancellationToken);
            }
        }
    }

    /// <summary>Snapshots the leased upload blob: the bytes that will be judged, read-only whatever happens to the blob after.</summary>
    public async Task<BlobClient> SnapshotAsync(string blobName, string leaseId, CancellationToken cancellationToken)
    {
        var blob = Container.GetBlobClient(blobName);
        var snapshot = await blob.CreateSnapshotAsync(conditions: new BlobRequestConditions { LeaseId = leaseId }, cancellationToken: cancellationToken);
        return blob.WithSnapshot(snapshot.Value.Snapshot);
    }

    /// <summary>
    /// Copies the judged snapshot (server-side, in the account) to <see cref="Accepted"/>, where no SAS reaches and
    /// downloads read. Only a first copy is made: a completion that lost the race to accept the file may have
    /// snapshotted an already emptied blob. A copy storage does not finish is an error (nothing is accepted).
    /// </summary>
    public async Task CopyAcceptedAsync(BlobClient judged, CancellationToken cancellationToken)
    {
        var copy = Accepted.GetBlobClient(judged.Name);
        CopyFromUriOperation started;
        try
        {
            started = await copy.StartCopyFromUriAsync(judged.Uri, new BlobCopyFromUriOptions { DestinationConditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return; // Copied already (by this file's earlier attempt, or by the completion that accepted it).
        }

        // Within one account the copy is done when it is answered; a pending one is waited for, and must succeed.
        var status = started.GetRawResponse().Headers.TryGetValue("x-ms-copy-status", out var answered) ? answered : "success";
        for (var wait = 0; status == "pending"; wait++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100 << Math.Min(wait, 5)), cancellationToken);
            status = (await copy.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.CopyStatus.ToString().ToLowerInvariant();
        }

        if (status != "success")
        {
            await copy.DeleteIfExistsAsync(cancellationToken: cancellationToken);
            throw new InvalidOperationException($"Copying the accepted upload {judged.Name} ended {status}");
        }
    }

    /// <summary>
    /// Makes the upload name an empty blob under the file's lease with no snapshots: nothing the upload SAS
    /// wrote stays, and the SAS can write nothing there any more (it may neither overwrite nor lease). Creates
    /// it when missing (a reservation that never got an upload). Idempotent; the caller records it done
    /// (<see cref="FileEntity.BlobSettled"/>).
    /// </summary>
    public async Task ClearAsync(string blobName, string leaseId, CancellationToken cancellationToken)
    {
        var blob = Container.GetBlobClient(blobName);
        if (!await LeaseAsync(blobName, leaseId, cancellationToken))
        {
            try
            {
                await blob.UploadAsync(Stream.Null, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
            }
            catch (RequestFailedException exists) when (exists.Status is 409 or 412)
            {
                // An upload came first (or this create's retry found its own): it is emptied below.
            }

            await LeaseAsync(blobName, leaseId, cancellationToken);
        }

        // Emptied first, so that a snapshot taken meanwhile holds nothing; then every snapshot goes.
        var leased = new BlobRequestConditions { LeaseId = leaseId };
        try
        {
            await blob.UploadAsync(Stream.Null, new BlobUploadOptions { Conditions = leased }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.PendingCopyOperation)
        {
            // A copy into the upload name is still running (a Copy Blob through the SAS): stopped, then emptied.
            var copyId = (await blob.GetPropertiesAsync(leased, cancellationToken)).Value.CopyId;
            await blob.AbortCopyFromUriAsync(copyId, leased, cancellationToken);
            await blob.UploadAsync(Stream.Null, new BlobUploadOptions { Conditions = leased }, cancellationToken);
        }

        await blob.DeleteAsync(DeleteSnapshotsOption.OnlySnapshots, leased, cancellationToken);
    }

    /// <summary>
    /// Deletes the upload name for good (once its SAS has expired): blocks left uncommitted first (an empty
    /// commit discards them), then the blob with its snapshots. With <paramref name="leaseId"/> when it is
    /// the file's; a blob under another lease, or none, costs another request or two.
    /// </summary>
    public async Task PurgeAsync(string blobName, string? leaseId, CancellationToken cancellationToken)
    {
        var blob = Container.GetBlockBlobClient(blobName);
        BlockList blocks;
        try
        {
            blocks = (await blob.GetBlockListAsync(BlockListTypes.Uncommitted, cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return; // Nothing at all under the name.
        }

        if (blocks.UncommittedBlocks.Any())
            await WithLeaseAsync(Container.GetBlobClient(blobName), leaseId, conditions => blob.CommitBlockListAsync([], new CommitBlockListOptions { Conditions = conditions }, cancellationToken), cancellationToken);
        await DeleteAsync(blobName, leaseId, cancellationToken);
    }

    /// <summary>
    /// Deletes a blob no live file owns, unless it is the service's: empty (holding no byte, whoever made it) or leased
    /// (only the service leases: a tombstone of a deleted task's file, or one being made).
    /// </summary>
    public async Task DeleteRogueAsync(string blobName, CancellationToken cancellationToken)
    {
        var blob = Container.GetBlobClient(blobName);
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            if (properties.ContentLength == 0 || properties.LeaseState != LeaseState.Available)
                return;
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = properties.ETag }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Gone, or taken in hand (leased, written) meanwhile.
        }
    }

    /// <summary>Deletes the accepted copy of a file, if there is one.</summary>
    public Task DeleteAcceptedAsync(string blobName, CancellationToken cancellationToken) =>
        Accepted.GetBlobClient(blobName).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);

    /// <summary>
    /// Deletes an upload blob if it exists, leased or not: with <paramref name="leaseId"/> when it is the file's
    /// (one request); a blob that is not leased, or leased under another id, costs a second request, or a lease
    /// break and a third.
    /// </summary>
    public Task DeleteAsync(string blobName, string? leaseId, CancellationToken cancellationToken)
    {
        var blob = Container.GetBlobClient(blobName);
        return WithLeaseAsync(blob, leaseId, conditions => blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, conditions, cancellationToken), cancellationToken);
    }

    /// <summary>A write to a blob that may hold the file's lease, another lease, or none: the file's first, then none, then after breaking the other.</summary>
    private static async Task WithLeaseAsync<T>(BlobClient blob, string? leaseId, Func<BlobRequestConditions?, Task<T>> write, CancellationToken cancellationToken)
    {
        try
        {
            await write(string.IsNullOrEmpty(leaseId) ? null : new BlobRequestConditions { LeaseId = leaseId });
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.LeaseNotPresentWithBlobOperation || (e.Status == 404 && !string.IsNullOrEmpty(leaseId)))
        {
            await write(null); // Not leased: no blob yet (only uncommitted blocks), or one never leased.
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            await BreakLeaseAsync(blob, cancellationToken);
            await write(null);
        }
    }

    private static async Task BreakLeaseAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException broken) when (broken.Status is 404 or 409)
        {
            // Gone, or no lease left to break.
        }
    }

    /// <summary>Makes sure a SAS valid until <paramref name="expires"/> can be signed (gets the user delegation key, when SAS URLs are signed with one): before anything is written for it.</summary>
    public async Task ReadyToSignAsync(DateTimeOffset expires, CancellationToken cancellationToken)
    {
        if (options.Value.SasSigning == SasSigning.UserDelegation)
            await delegationKeys.GetAsync(expires, cancellationToken);
    }

    private async Task<Uri> SignAsync(BlobClient blob, BlobSasBuilder sas, CancellationToken cancellationToken)
    {
        sas.Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp;
        if (options.Value.SasSigning == SasSigning.AccountKey)
            return blob.GenerateSasUri(sas);

        var key = await delegationKeys.GetAsync(sas.ExpiresOn, cancellationToken);
        return new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key, service.AccountName) }.ToUri();
    }
}
