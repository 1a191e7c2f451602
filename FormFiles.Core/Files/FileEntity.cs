using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>A file (from its reservation on): a row of its task's partition, RK <c>file-{id}</c>.</summary>
public sealed class FileEntity : IStampedEntity
{
    public const string RowPrefix = "file-";

    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>The operation that last wrote this row (<see cref="StampedWrites"/>).</summary>
    public string? Op { get; set; }

    public long Id { get; set; }

    public long UserId { get; set; }

    public long TaskId { get; set; }

    public string FieldId { get; set; } = string.Empty;

    /// <summary>The form the file was reserved on (a form's id outlives nothing: deleting the form deletes its files).</summary>
    public long FormId { get; set; }

    public string State { get; set; } = FileStates.Created;

    /// <summary>The size the client reserved; quota is held for it until the upload is done.</summary>
    public long ReservedSize { get; set; }

    public string? Name { get; set; }

    /// <summary>The real size, once uploaded.</summary>
    public long? Size { get; set; }

    /// <summary><c>image</c> or <c>file</c>: from the field until the upload, then from the content.</summary>
    public string Type { get; set; } = "file";

    /// <summary>The sniffed MIME type, once uploaded.</summary>
    public string? MimeType { get; set; }

    /// <summary>Why completion rejected the upload.</summary>
    public string? Rejection { get; set; }

    public DateTimeOffset? Uploaded { get; set; }

    /// <summary>Whether the form's last submission references this file.</summary>
    public bool Submitted { get; set; }

    /// <summary>The client's metadata object, as JSON.</summary>
    public string? Metadata { get; set; }

    public DateTimeOffset Created { get; set; }

    public DateTimeOffset Expires { get; set; }

    /// <summary>SHA-256 of the multipart upload token's secret part.</summary>
    public string TokenDigest { get; set; } = string.Empty;

    /// <summary>
    /// The id of the infinite lease that completion takes on the upload blob before judging it (and that
    /// its tombstone keeps), so that only the service writes it from then on. Random per file, never shown.
    /// </summary>
    public string LeaseId { get; set; } = string.Empty;

    /// <summary>
    /// Whether the upload name is settled for the file's state: emptied under the file's lease with no snapshots
    /// (after acceptance, rejection or deletion). Set after it is done, so that a crash midway is done again and
    /// the events of the service's own writes cost nothing once it is.
    /// </summary>
    public bool BlobSettled { get; set; }

    /// <summary>
    /// Whether the upload SAS may still be valid at <paramref name="now"/>: it expires with the reservation, by
    /// storage's clock, which may be <see cref="FileBlobs.ClockSkew"/> behind this one. Until then the file's
    /// upload name stays taken (its blob or a tombstone).
    /// </summary>
    public bool CredentialsLive(DateTimeOffset now) => now < Expires + FileBlobs.ClockSkew;

    /// <summary>The first eight characters of the API key that reserved the file: usage counts its upload there.</summary>
    public string? ApiKey { get; set; }

    public static string Row(long fileId) => RowPrefix + Storage.Tables.Key(fileId);

    public string BlobName => FileBlobs.Name(UserId, TaskId, Id);

    /// <summary>Reserved and not yet uploaded, rejected or deleted.</summary>
    public bool AwaitsUpload => State is FileStates.Created or FileStates.InProgress;

    /// <summary>A copy in <paramref name="state"/> (what an event about a change to it shows).</summary>
    public FileEntity Clone(string state)
    {
        var copy = (FileEntity)MemberwiseClone();
        copy.State = state;
        return copy;
    }
}
