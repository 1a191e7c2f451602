using Azure.Data.Tables;

namespace FormFiles;

/// <summary>Rejects a configuration that cannot work, naming the key, so that start-up fails instead of the first request.</summary>
internal sealed class FormFilesOptionsValidator : IValidateOptions<FormFilesOptions>
{
    private const string Storage = $"{FormFilesOptions.Section}:Storage";

    public ValidateOptionsResult Validate(string? name, FormFilesOptions options)
    {
        var failures = new List<string>();
        ValidateStorage(options.Storage, failures);
        options.Webhooks.Validate($"{FormFilesOptions.Section}:Webhooks", failures);
        options.RateLimit.Validate($"{FormFilesOptions.Section}:RateLimit", failures);
        options.Idempotency.Validate($"{FormFilesOptions.Section}:Idempotency", failures);
        options.Usage.Validate($"{FormFilesOptions.Section}:Usage", failures);
        options.Cors.Validate($"{FormFilesOptions.Section}:Cors", failures);
        if (!string.IsNullOrEmpty(options.AdminKey) && options.AdminKey.Length < 16)
            failures.Add($"{FormFilesOptions.Section}:AdminKey must be at least 16 characters.");
        if (options.PublicBaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)))
            failures.Add($"{FormFilesOptions.Section}:PublicBaseUrl must be an absolute http(s) URL.");
        if (options.SasSigning == SasSigning.AccountKey && options.Storage.ConnectionString is null && options.Storage.BlobServiceUri is not null)
            failures.Add($"{FormFilesOptions.Section}:SasSigning must be UserDelegation when storage is reached with service URIs (there is no account key).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateStorage(StorageOptions storage, List<string> failures)
    {
        var hasConnectionString = !string.IsNullOrWhiteSpace(storage.ConnectionString);
        var hasUris = storage.BlobServiceUri is not null || storage.TableServiceUri is not null;
        if (hasConnectionString && hasUris)
        {
            failures.Add($"{Storage}: set either ConnectionString or BlobServiceUri and TableServiceUri, not both.");
        }
        else if (hasConnectionString)
        {
            if (!IsConnectionString(storage.ConnectionString!))
                failures.Add($"{Storage}:ConnectionString is not a valid storage connection string.");
        }
        else if (!hasUris)
        {
            failures.Add($"{Storage}:ConnectionString, or {Storage}:BlobServiceUri and {Storage}:TableServiceUri, must be set.");
        }
        else
        {
            ValidateServiceUri(storage.BlobServiceUri, "BlobServiceUri", failures);
            ValidateServiceUri(storage.TableServiceUri, "TableServiceUri", failures);
        }
    }

    private static void ValidateServiceUri(Uri? uri, string key, List<string> failures)
    {
        if (uri is null)
            failures.Add($"{Storage}:{key} must be set together with the other service URI.");
        else if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            failures.Add($"{Storage}:{key} must be an absolute http(s) URL.");
    }

    private static bool IsConnectionString(string connectionString)
    {
        try
        {
            _ = new TableServiceClient(connectionString);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
