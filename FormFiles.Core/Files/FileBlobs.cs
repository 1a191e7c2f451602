using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;

namespace FormFiles.Files;

/// <summary>
/// The <c>form-files</c> container and the upload SAS (design §5): create and write on exactly one
/// blob, named by ids only (<c>{user_id}/{task_id}/{file_id}</c>), valid from five minutes ago (clock
/// skew) until the reservation expires, HTTPS-only unless the blob endpoint itself is plain http
/// (Azurite). Signed with the account key, or with a cached user delegation key.
/// </summary>
public sealed class FileBlobs(BlobServiceClient service, UserDelegationKeys delegationKeys, IOptions<FormFilesOptions> options, TimeProvider time)
{
    public const string ContainerName = "form-files";

    /// <summary>How far this service's clock and storage's may disagree: SAS start times and upload times allow for it.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public BlobContainerClient Container { get; } = service.GetBlobContainerClient(ContainerName);

    public static string Name(long userId, long taskId, long fileId) => $"{userId}/{taskId}/{fileId}";

    /// <summary>The names of the blobs under a task, in one listing.</summary>
    public async Task<HashSet<string>> NamesAsync(long userId, long taskId, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var blob in Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{userId}/{taskId}/", cancellationToken))
            names.Add(blob.Name);
        return names;
    }

    /// <summary>A read SAS for one uploaded blob that saves it under <paramref name="filename"/> (RFC 6266, any Unicode name).</summary>
    /// <param name="snapshot">The snapshot of the accepted upload (see <see cref="FileEntity.Snapshot"/>), or null for the blob itself.</param>
    public async Task<Uri> DownloadSasAsync(string blobName, string? snapshot, string? filename, string? mimeType, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(filename ?? blobName[(blobName.LastIndexOf('/') + 1)..]);
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, now + options.Value.DownloadUrlTtl)
        {
            BlobContainerName = ContainerName,
            BlobName = blobName,
            Resource = snapshot is null ? "b" : "bs",
            Snapshot = snapshot,
            StartsOn = now - ClockSkew,
            ContentDisposition = disposition.ToString(),
            ContentType = mimeType,
        };
        var blob = Container.GetBlobClient(blobName);
        return await SignAsync(snapshot is null ? blob : blob.WithSnapshot(snapshot), sas, cancellationToken);
    }

    public async Task<Uri> UploadSasAsync(string blobName, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        var blob = Container.GetBlobClient(blobName);
        var sas = new BlobSasBuilder(BlobSasPermissions.Create | BlobSasPermissions.Write, expires)
        {
            BlobContainerName = ContainerName,
            BlobName = blobName,
            Resource = "b",
            StartsOn = time.GetUtcNow() - ClockSkew,
        };
        return await SignAsync(blob, sas, cancellationToken);
    }

    /// <summary>
    /// Takes the file's infinite lease on its blob, after which no write without the lease id (so none
    /// through the upload SAS, neither Put Blob nor Put Block) can change it. Taking it again with the
    /// same id succeeds, so every completion of the file may call this. False when there is no blob.
    /// </summary>
    /// <remarks>A lease someone else took (the upload SAS can take one) is broken first: only the file's lease counts.</remarks>
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

    /// <summary>Snapshots the (leased) blob: the accepted bytes, read-only from now on. Returns the snapshot's id.</summary>
    public async Task<string> SnapshotAsync(string blobName, CancellationToken cancellationToken) =>
        (await Container.GetBlobClient(blobName).CreateSnapshotAsync(cancellationToken: cancellationToken)).Value.Snapshot;

    /// <summary>
    /// Deletes a blob if it exists, leased or not: with <paramref name="leaseId"/> when it is the file's
    /// (one request for an accepted upload); a blob that is not leased, or leased under another id, costs
    /// a second request, or a lease break and a third.
    /// </summary>
    public async Task DeleteAsync(string blobName, string? leaseId, CancellationToken cancellationToken)
    {
        var blob = Container.GetBlobClient(blobName);
        try
        {
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, string.IsNullOrEmpty(leaseId) ? null : new BlobRequestConditions { LeaseId = leaseId }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.LeaseNotPresentWithBlobOperation)
        {
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            await BreakLeaseAsync(blob, cancellationToken);
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
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
