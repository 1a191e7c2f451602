using Azure.Storage.Blobs;
using FormFiles.Files;
using Microsoft.Azure.Functions.Worker;

namespace FormFiles.Functions;

/// <summary>
/// An upload landed in <c>form-files</c>: Event Grid's BlobCreated (the only blob trigger on Flex
/// Consumption) → Core completion. Connection <c>FormFilesStorage</c> is identity-based in Azure.
/// </summary>
public sealed class BlobCreatedFunction(UploadCompletion completion)
{
    [Function(nameof(BlobCreated))]
    public Task BlobCreated(
        [BlobTrigger($"{FileBlobs.ContainerName}/{{name}}", Source = BlobTriggerSource.EventGrid, Connection = "FormFilesStorage")] BlobClient blob,
        CancellationToken cancellationToken) =>
        completion.HandleAsync(blob.Name, cancellationToken);
}
