namespace FormFiles.DevHost.Azurite;

/// <summary>
/// The DevHost's storage when none is configured: an Azurite of its own, in memory, or on disk
/// under the repository's <c>.azurite/</c> with <c>--persist</c>.
/// </summary>
internal static class LocalStorage
{
    public const string PersistFlag = "--persist";
    private const string StorageSection = $"{FormFilesOptions.Section}:Storage";

    /// <summary>Blob CORS for the browsers' SAS PUT, as infra/ sets it on Azure: the API's allowed origins.</summary>
    public static async Task AllowOriginsAsync(string connectionString, string[] origins)
    {
        if (origins.Length == 0)
            return;
        var blobs = new Azure.Storage.Blobs.BlobServiceClient(connectionString);
        var properties = (await blobs.GetPropertiesAsync()).Value;
        properties.Cors = [new Azure.Storage.Blobs.Models.BlobCorsRule
        {
            AllowedOrigins = string.Join(',', origins),
            AllowedMethods = "PUT,GET,HEAD",
            AllowedHeaders = "*",
            ExposedHeaders = "*",
            MaxAgeInSeconds = 600,
        }];
        await blobs.SetPropertiesAsync(properties);
    }

    /// <summary>
    /// Starts Azurite and points the configuration at it, unless any <c>FormFiles:Storage</c>
    /// setting is given: then that configuration is used (and validated) as it is.
    /// </summary>
    /// <returns>The Azurite to dispose when the host stops, or null when storage was configured.</returns>
    public static async Task<AzuriteProcess?> StartUnlessConfiguredAsync(WebApplicationBuilder builder, bool persist)
    {
        if (builder.Configuration.GetSection(StorageSection).Exists())
            return null;

        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        var persistFolder = persist ? Path.Combine(root, ".azurite") : null;
        Console.WriteLine(persistFolder is null
            ? "Starting Azurite (in memory; --persist keeps data in .azurite/)..."
            : $"Starting Azurite (data in {persistFolder})...");
        var azurite = await AzuriteProcess.StartAsync(root, persistFolder, Console.Out);
        Console.WriteLine($"Azurite is ready: blobs at {azurite.BlobEndpoint}, tables at {azurite.TableEndpoint}");
        builder.Configuration[$"{StorageSection}:ConnectionString"] = azurite.ConnectionString;
        await AllowOriginsAsync(azurite.ConnectionString, new Api.CorsOptions { AllowedOrigins = builder.Configuration[$"{FormFilesOptions.Section}:Cors:AllowedOrigins"] }.Origins);
        return azurite;
    }
}
