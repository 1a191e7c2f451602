namespace FormFiles.Files;

/// <summary>A file's life (design §5): created → in_progress → uploaded, or rejected, or deleted.</summary>
public static class FileStates
{
    public const string Created = "created";
    public const string InProgress = "in_progress";
    public const string Uploaded = "uploaded";
    public const string Rejected = "rejected";
    public const string Deleted = "deleted";

    /// <summary>The parameter that asks for <see cref="Rejected"/> as it is rather than as Navixy shows it.</summary>
    public const string PreciseParameter = "precise_states";

    /// <summary>Navixy's <c>form_file</c> states are created, in_progress, uploaded and deleted: a rejected file is deleted there.</summary>
    public static string Navixy(string state) => state == Rejected ? Deleted : state;
}
