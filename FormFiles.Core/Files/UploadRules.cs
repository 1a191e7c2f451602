using FormFiles.Templates;

namespace FormFiles.Files;

/// <summary>
/// Completion's verdict on an upload (design §7), from the real size and the first bytes: within
/// the reserved size and the field's bounds; a photo is an image, a signature a PNG or JPEG; a file
/// field with <c>allowed_extensions</c> needs an allowed extension, and an extension that names a
/// type we can recognise must match the bytes.
/// </summary>
public static class UploadRules
{
    /// <summary>The verdict; a rejection has its reason (for the client) and its kind (<see cref="RejectionKinds"/>, for metrics).</summary>
    public sealed record Verdict(ContentTypes.Sniffed? Type, string? Rejection, string? Kind = null)
    {
        public bool Accepted => Rejection is null;

        public string MimeType => Type?.MimeType ?? "application/octet-stream";
    }

    public static Verdict Judge(FormField field, long reservedSize, string? filename, long size, ReadOnlySpan<byte> head)
    {
        var sniffed = ContentTypes.Sniff(head);
        if (size > reservedSize)
            return Reject(RejectionKinds.Size, $"the upload is {size} bytes, more than the {reservedSize} reserved");
        if (field.MaxFileSize is { } max && size > max)
            return Reject(RejectionKinds.Size, $"the upload is {size} bytes, more than field '{field.Id}' takes ({max})");
        if (size < (field.MinFileSize ?? 0))
            return Reject(RejectionKinds.Size, $"the upload is {size} bytes, less than field '{field.Id}' needs ({field.MinFileSize})");

        switch (field.Type)
        {
            case FieldTypes.Photo when sniffed is not { IsImage: true }:
                return Reject(RejectionKinds.Content, $"field '{field.Id}' takes only images (JPEG, PNG, GIF, WebP, HEIC/HEIF, BMP)");
            case FieldTypes.Signature when sniffed != ContentTypes.Png && sniffed != ContentTypes.Jpeg:
                return Reject(RejectionKinds.Content, $"field '{field.Id}' takes only a PNG or JPEG signature");
        }

        var extension = Filenames.Extension(filename);
        if (field.AllowedExtensions is { } allowed && (extension is null || !allowed.Contains(extension)))
            return Reject(RejectionKinds.Extension, $"field '{field.Id}' takes only .{string.Join(", .", allowed)} files");
        if (extension is not null && ContentTypes.ForExtension(extension) is { } promised && sniffed?.Extensions.Contains(extension) != true)
            return Reject(RejectionKinds.Content, $"the file is named .{extension} but its content is {sniffed?.MimeType ?? "not " + promised.MimeType}");

        return new Verdict(sniffed, null);

        Verdict Reject(string kind, string reason) => new(sniffed, reason, kind);
    }
}

/// <summary>Why completion rejected an upload, in a word (the <c>reason</c> tag of <c>formfiles.files.rejected</c>).</summary>
public static class RejectionKinds
{
    public const string Size = "size";
    public const string Content = "content";
    public const string Extension = "extension";
    public const string Field = "field";
}
