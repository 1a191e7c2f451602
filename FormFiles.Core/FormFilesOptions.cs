using System.ComponentModel.DataAnnotations;

namespace FormFiles;

/// <summary>Configuration section <c>FormFiles</c> (design §8), validated when the host starts.</summary>
public sealed class FormFilesOptions
{
    public const string Section = "FormFiles";

    public StorageOptions Storage { get; set; } = new();

    /// <summary>The <c>X-Admin-Key</c> of the admin/* actions; with none, every admin call is 11.</summary>
    [MinLength(16, ErrorMessage = "FormFiles:AdminKey must be at least 16 characters.")]
    public string? AdminKey { get; set; }

    /// <summary>The quota of a user created without <c>quota_bytes</c>.</summary>
    [Range(0, long.MaxValue, ErrorMessage = "FormFiles:DefaultQuotaBytes must be zero or more.")]
    public long DefaultQuotaBytes { get; set; } = 1L << 30;
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
