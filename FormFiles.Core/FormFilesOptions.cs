namespace FormFiles;

/// <summary>Configuration section <c>FormFiles</c> (design §8), validated when the host starts.</summary>
public sealed class FormFilesOptions
{
    public const string Section = "FormFiles";

    public StorageOptions Storage { get; set; } = new();
}

/// <summary>
/// Section <c>FormFiles:Storage</c>: a connection string (Azurite, development), or the two
/// service URIs with a Microsoft Entra identity (Azure; no account key).
/// </summary>
public sealed class StorageOptions
{
    public string? ConnectionString { get; set; }

    public Uri? BlobServiceUri { get; set; }

    public Uri? TableServiceUri { get; set; }

    /// <summary>Client id of a user-assigned managed identity, when the URIs are used.</summary>
    public string? ClientId { get; set; }
}
