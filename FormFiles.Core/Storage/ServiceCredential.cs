using Azure.Core;
using Azure.Identity;

namespace FormFiles.Storage;

/// <summary>The identity the service reaches Azure with (storage, Application Insights): the user-assigned managed identity <c>FormFiles:Storage:ClientId</c> names, through <see cref="DefaultAzureCredential"/>.</summary>
public static class ServiceCredential
{
    public static TokenCredential Create(string? managedIdentityClientId) =>
        new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = managedIdentityClientId });
}
