namespace FormFiles.Webhooks;

/// <summary>The events an endpoint can subscribe to (or <c>*</c> for all).</summary>
public static class EventTypes
{
    public const string All = "*";
    public const string FileUploaded = "file.uploaded";
    public const string FileRejected = "file.rejected";
    public const string FileDeleted = "file.deleted";
    public const string FileExpired = "file.expired";
    public const string FormSubmitted = "form.submitted";
    public const string WebhookTest = "webhook.test";

    public static IReadOnlySet<string> Known { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        FileUploaded, FileRejected, FileDeleted, FileExpired, FormSubmitted, WebhookTest,
    };
}

/// <summary>Why a file was deleted (<c>data.reason</c> of <c>file.deleted</c>).</summary>
public static class DeleteReasons
{
    public const string Submission = "submission";
    public const string Api = "api";
    public const string FormDeleted = "form_deleted";
    public const string TaskDeleted = "task_deleted";
    public const string LateUpload = "late_upload";
    public const string Detached = "detached";
    public const string Unattached = "unattached";
}
