using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace FormFiles.Tests;

/// <summary>Bad configuration stops start-up with a message that names the key.</summary>
public sealed class StartupTests
{
    private const string Key = "FormFiles:Storage";

    [Theory]
    [InlineData(null, null, null, "FormFiles:Storage:ConnectionString, or FormFiles:Storage:BlobServiceUri and FormFiles:Storage:TableServiceUri, must be set.")]
    [InlineData("not a connection string", null, null, "FormFiles:Storage:ConnectionString is not a valid storage connection string.")]
    [InlineData(null, "https://acct.blob.core.windows.net", null, "FormFiles:Storage:TableServiceUri must be set together with the other service URI.")]
    [InlineData(null, "acct.blob.core.windows.net", "https://acct.table.core.windows.net", "FormFiles:Storage:BlobServiceUri must be an absolute http(s) URL.")]
    [InlineData("UseDevelopmentStorage=true", "https://acct.blob.core.windows.net", "https://acct.table.core.windows.net", "FormFiles:Storage: set either ConnectionString or BlobServiceUri and TableServiceUri, not both.")]
    public void Invalid_storage_settings_stop_start_up_naming_the_key(string? connectionString, string? blobUri, string? tableUri, string message)
    {
        // A blank value stands for "not set"; it also keeps the DevHost from starting an Azurite of its own.
        using var factory = new FormFilesFactory(new Dictionary<string, string?>
        {
            [$"{Key}:ConnectionString"] = connectionString ?? string.Empty,
            [$"{Key}:BlobServiceUri"] = blobUri ?? string.Empty,
            [$"{Key}:TableServiceUri"] = tableUri ?? string.Empty,
        });

        var failure = Assert.Throws<OptionsValidationException>(factory.StartServer);

        Assert.Contains(message, failure.Failures);
    }

    [Fact]
    public void Valid_service_uris_pass_validation()
    {
        // Validated without starting a host: a host would reach for a managed identity off this machine.
        var options = new FormFilesOptions
        {
            Storage = new StorageOptions
            {
                BlobServiceUri = new Uri("https://acct.blob.core.windows.net"),
                TableServiceUri = new Uri("https://acct.table.core.windows.net"),
            },
            SasSigning = SasSigning.UserDelegation,
        };

        Assert.True(new FormFilesOptionsValidator().Validate(null, options).Succeeded);
        var withAccountKey = new FormFilesOptionsValidator().Validate(null, new FormFilesOptions { Storage = options.Storage });
        Assert.Contains("FormFiles:SasSigning must be UserDelegation when storage is reached with service URIs (there is no account key).", withAccountKey.Failures!);
    }

    [Theory]
    [InlineData("FormFiles:ReservationTtl", "00:00:00", "FormFiles:ReservationTtl must be between 00:00:01 and 7.00:00:00.")]
    [InlineData("FormFiles:MaxFileSize", "16777217", "FormFiles:MaxFileSize must be between 1 and 16777216.")]
    [InlineData("FormFiles:PublicBaseUrl", "/relative", "FormFiles:PublicBaseUrl must be an absolute http(s) URL.")]
    [InlineData("FormFiles:Webhooks:Retention", "1.00:00:00", "FormFiles:Webhooks:Retention must be longer than the RetrySchedule's attempts take")]
    public void Bad_file_settings_stop_start_up_naming_the_key(string key, string value, string message)
    {
        using var factory = new FormFilesFactory(new Dictionary<string, string?>
        {
            [$"{Key}:ConnectionString"] = "UseDevelopmentStorage=true",
            [key] = value,
        });

        var failure = Assert.Throws<OptionsValidationException>(factory.StartServer);

        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Short_admin_key_stops_start_up_naming_the_key()
    {
        using var factory = new FormFilesFactory(new Dictionary<string, string?>
        {
            [$"{Key}:ConnectionString"] = "UseDevelopmentStorage=true",
            ["FormFiles:AdminKey"] = "short",
        });

        var failure = Assert.Throws<OptionsValidationException>(factory.StartServer);

        Assert.Contains("FormFiles:AdminKey must be at least 16 characters.", failure.Message, StringComparison.Ordinal);
    }
}
