namespace FormFiles.Files;

/// <summary>A file's life (design §5): created → in_progress → uploaded, or rejected, or deleted.</summary>
public static class FileStates
{
    public const string Created = "created";
    public const string InProgress = "in_progress";
    public const string Uploaded = "uploaded";
    public const string Rejected = "rejected";
    public const string Deleted = "deleted";
}
