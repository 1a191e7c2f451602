using System.ComponentModel.DataAnnotations;

namespace FormFiles;

/// <summary>Configuration section <c>FormFiles</c> (design §8), validated when the host starts.</summary>
public sealed class FormFilesOptions
{
    public const string Section = "FormFiles";

    public StorageOptions Storage { get; set; } = new();

    public Webhooks.WebhookOptions Webhooks { get; set; } = new();

    public Calls.RateLimitOptions RateLimit { get; set; } = new();

    public Calls.IdempotencyOptions Idempotency { get; set; } = new();

    public Usage.UsageOptions Usage { get; set; } = new();

    public Api.CorsOptions Cors { get; set; } = new();

    /// <summary>The <c>X-Admin-Key</c> of the admin/* actions (16+ characters); with none (or empty), every admin call is 11.</summary>
    public string? AdminKey { get; set; }

    /// <summary>The quota of a user created without <c>quota_bytes</c>.</summary>
    [Range(0, long.MaxValue, ErrorMessage = "FormFiles:DefaultQuotaBytes must be zero or more.")]
    public long DefaultQuotaBytes { get; set; } = 1L << 30;

    /// <summary>How long a reservation (and its upload credentials) lives before the sweep deletes it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "FormFiles:ReservationTtl must be between 00:00:01 and 7.00:00:00.")]
    public TimeSpan ReservationTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long an uploaded task attachment may stay unattached before the sweep deletes it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00", ErrorMessage = "FormFiles:UnattachedTtl must be between 00:00:01 and 30.00:00:00.")]
    public TimeSpan UnattachedTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The most attachments attached to one task (<c>task/file/attach</c>).</summary>
    [Range(1, 10_000, ErrorMessage = "FormFiles:MaxTaskAttachments must be between 1 and 10000.")]
    public int MaxTaskAttachments { get; set; } = 100;

    /// <summary>The largest file, whatever a field allows (Navixy: 16 MiB).</summary>
    [Range(1, MaxFileSizeCeiling, ErrorMessage = "FormFiles:MaxFileSize must be between 1 and 16777216.")]
    public long MaxFileSize { get; set; } = MaxFileSizeCeiling;

    /// <summary>The service's public address, for the multipart upload <c>url</c>; without it, the request's own host.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>How upload SAS URLs are signed: the account key (Azurite, development) or a user delegation key (Azure).</summary>
    public SasSigning SasSigning { get; set; } = SasSigning.AccountKey;

    /// <summary>How long a <c>download_url</c> stays valid.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "7.00:00:00", ErrorMessage = "FormFiles:DownloadUrlTtl must be between 00:00:10 and 7.00:00:00.")]
    public TimeSpan DownloadUrlTtl { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often the DevHost completes uploads whose blob exists (its stand-in for Event Grid).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00", ErrorMessage = "FormFiles:ReconcileInterval must be between 00:00:00.100 and 1.00:00:00.")]
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the DevHost sweeps (in Azure, the timer: every five minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "FormFiles:SweepInterval must be between 00:00:01 and 1.00:00:00.")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The most due items one sweep pass handles; the next pass goes on from there.</summary>
    [Range(1, 100_000, ErrorMessage = "FormFiles:SweepBudget must be between 1 and 100000.")]
    public int SweepBudget { get; set; } = 20_000;

    public const long MaxFileSizeCeiling = 16L * 1024 * 1024;
}

public enum SasSigning
{
    AccountKey,
    UserDelegation,
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
