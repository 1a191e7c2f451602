using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using FormFiles.Files;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// Every byte stored under one file's names, as storage lists them: its upload blob (the base, every snapshot,
/// and uncommitted blocks) and its accepted copy. What the upload SAS can leave behind is measured with this.
/// </summary>
public sealed record StoredBytes(long Base, long Snapshots, int SnapshotCount, long Uncommitted, long Accepted)
{
    public long Total => Base + Snapshots + Uncommitted + Accepted;

    /// <summary>The upload name holds nothing but (at most) an empty tombstone, and nothing is accepted.</summary>
    public bool HoldsNothing => Total == 0;

    public static async Task<StoredBytes> OfAsync(string connectionString, string blobName)
    {
        var service = new BlobServiceClient(connectionString);
        var uploads = service.GetBlobContainerClient(FileBlobs.ContainerName);
        long baseBytes = 0, snapshots = 0;
        var count = 0;
        await foreach (var item in uploads.GetBlobsAsync(BlobTraits.None, BlobStates.Snapshots, blobName, CancellationToken.None))
        {
            if (item.Name != blobName)
                continue;
            if (item.Snapshot is null)
                baseBytes = item.Properties.ContentLength ?? 0;
            else
                (snapshots, count) = (snapshots + (item.Properties.ContentLength ?? 0), count + 1);
        }

        long uncommitted = 0;
        try
        {
            var blocks = await uploads.GetBlockBlobClient(blobName).GetBlockListAsync(BlockListTypes.Uncommitted);
            uncommitted = blocks.Value.UncommittedBlocks.Sum(b => b.SizeLong);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }

        var accepted = service.GetBlobContainerClient(FileBlobs.AcceptedContainerName).GetBlobClient(blobName);
        long acceptedBytes = 0;
        try
        {
            acceptedBytes = (await accepted.GetPropertiesAsync()).Value.ContentLength;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }

        return new StoredBytes(baseBytes, snapshots, count, uncommitted, acceptedBytes);
    }

    /// <summary>The accepted copy's bytes (what downloads serve).</summary>
    public static async Task<byte[]> AcceptedAsync(string connectionString, string blobName) =>
        (await new BlobServiceClient(connectionString).GetBlobContainerClient(FileBlobs.AcceptedContainerName).GetBlobClient(blobName).DownloadContentAsync()).Value.Content.ToArray();
}
