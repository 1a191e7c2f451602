using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FormFiles.Files;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// Storage of one test's own: an account of the run's Azurite that no other test touches (its tables,
/// blobs and queues are a namespace of their own). A test takes one when it runs a host on a clock of
/// its own, or runs a pass (sweep, reconciliation, purge) and asserts what the pass did: on the shared
/// account every other host's rows and passes would be in its way, and its in the others'.
/// </summary>
public sealed class TestStorage(string connectionString)
{
    public string ConnectionString => connectionString;

    /// <summary>The settings of a host on this storage with the run's admin key, for a test to add to.</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["FormFiles:Storage:ConnectionString"] = connectionString,
        ["FormFiles:AdminKey"] = Scenario.AdminKey,
    };

    public BlobContainerClient Container => new BlobServiceClient(connectionString).GetBlobContainerClient(FileBlobs.ContainerName);

    public TableClient Table(string name) => new(connectionString, name);
}
