using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Azure;

namespace FormFiles.Storage;

/// <summary>
/// Registers one <see cref="TableServiceClient"/> and one <see cref="BlobServiceClient"/> for the
/// whole process (they are thread-safe), from a connection string or from service URIs with
/// <see cref="DefaultAzureCredential"/>; which one is only configuration.
/// </summary>
internal static class StorageClients
{
    public static IServiceCollection AddStorageClients(this IServiceCollection services)
    {
        services.AddAzureClients(clients =>
        {
            clients.UseCredential(provider => ServiceCredential.Create(Options(provider).ClientId));
            clients.AddClient<TableServiceClient, TableClientOptions>((options, credential, provider) =>
                Options(provider) is { ConnectionString: { Length: > 0 } connectionString }
                    ? new TableServiceClient(connectionString, options)
                    : new TableServiceClient(Options(provider).TableServiceUri, credential, options));
            clients.AddClient<BlobServiceClient, BlobClientOptions>((options, credential, provider) =>
                Options(provider) is { ConnectionString: { Length: > 0 } connectionString }
                    ? new BlobServiceClient(connectionString, options)
                    : new BlobServiceClient(Options(provider).BlobServiceUri, credential, options));
        });
        return services;
    }

    private static StorageOptions Options(IServiceProvider provider) =>
        provider.GetRequiredService<IOptions<FormFilesOptions>>().Value.Storage;
}
