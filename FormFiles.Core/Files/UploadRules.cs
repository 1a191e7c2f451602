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
    public sealed record Verdict(ContentTypes.Sniffed? Type, string? Rejection)
    {
        public bool Accepted => Rejection is null;

        public string MimeType => Type?.MimeType ?? "application/octet-stream";
    }

    public static Verdict Judge(FormField field, long reservedSize, string? filename, long size, ReadOnlySpan<byte> head)
    {
        var sniffed = ContentTypes.Sniff(head);
        if (size > reservedSize)
            return Reject($"the upload is {size} bytes, more than the {reservedSize} reserved");
        if (field.MaxFileSize is { } max && size > max)
            return Reject($"the upload is {size} bytes, more than field '{field.Id}' takes ({max})");
        if (size < (field.MinFileSize ?? 0))
            return Reject($"the upload is {size} bytes, less than field '{field.Id}' needs ({field.MinFileSize})");

        switch (field.Type)
        {
            case FieldTypes.Photo when sniffed is not { IsImage: true }:
                return Reject($"field '{field.Id}' takes only images (JPEG, PNG, GIF, WebP, HEIC/HEIF, BMP)");
            case FieldTypes.Signature when sniffed != ContentTypes.Png && sniffed != ContentTypes.Jpeg:
                return Reject($"field '{field.Id}' takes only a PNG or JPEG signature");
        }

        var extension = Filenames.Extension(filename);
        if (field.AllowedExtensions is { } allowed && (extension is null || !allowed.Contains(extension)))
            return Reject($"field '{field.Id}' takes only .{string.Join(", .", allowed)} files");
        if (extension is not null && ContentTypes.ForExtension(extension) is { } promised && sniffed?.Extensions.Contains(extension) != true)
            return Reject($"the file is named .{extension} but its content is {sniffed?.MimeType ?? "not " + promised.MimeType}");

        return new Verdict(sniffed, null);

        Verdict Reject(string reason) => new(sniffed, reason);
    }
}
