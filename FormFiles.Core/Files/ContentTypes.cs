using System.Buffers.Binary;

namespace FormFiles.Files;

/// <summary>
/// What a file's first bytes say it is, for the types whose extensions we can hold to their content
/// (magic numbers, not parsing: the EXIF work is MetadataExtractor's). MetadataExtractor 2.4, the
/// version served here, knows neither HEIF nor PDF, hence this small table.
/// </summary>
public static class ContentTypes
{
    public sealed record Sniffed(string MimeType, bool IsImage, IReadOnlyList<string> Extensions);

    public static readonly Sniffed Jpeg = new("image/jpeg", true, ["jpg", "jpeg", "jpe", "jfif"]);
    public static readonly Sniffed Png = new("image/png", true, ["png"]);
    public static readonly Sniffed Gif = new("image/gif", true, ["gif"]);
    public static readonly Sniffed WebP = new("image/webp", true, ["webp"]);
    public static readonly Sniffed Bmp = new("image/bmp", true, ["bmp", "dib"]);
    public static readonly Sniffed Heic = new("image/heic", true, ["heic", "heif", "hif"]);
    public static readonly Sniffed Heif = new("image/heif", true, ["heic", "heif", "hif"]);
    public static readonly Sniffed Pdf = new("application/pdf", false, ["pdf"]);
    public static readonly Sniffed Zip = new("application/zip", false, ["zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "jar", "apk"]);

    private static readonly Sniffed[] Known = [Jpeg, Png, Gif, WebP, Bmp, Heic, Heif, Pdf, Zip];

    public static Sniffed? Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
            return Jpeg;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            return Png;
        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
            return Gif;
        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8))
            return WebP;
        if (IsBmp(head))
            return Bmp;
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
            return Brand(head[8..12]);
        if (head.StartsWith("%PDF-"u8))
            return Pdf;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x50, 0x4B, 0x03, 0x04]))
            return Zip;
        return null;
    }

    /// <summary>
    /// "BM" starts much text too, so a bitmap must also have a header whose sizes agree: a known DIB
    /// header size (core, OS/2, info, v2–v5), pixels after the headers, and a file size (0 = unstated) past them.
    /// </summary>
    private static bool IsBmp(ReadOnlySpan<byte> head)
    {
        if (head.Length < 18 || !head.StartsWith("BM"u8))
            return false;
        var fileSize = BinaryPrimitives.ReadUInt32LittleEndian(head[2..]);
        var pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(head[10..]);
        var dibSize = BinaryPrimitives.ReadUInt32LittleEndian(head[14..]);
        return dibSize is 12 or 16 or 40 or 52 or 56 or 64 or 108 or 124
               && pixelOffset >= 14 + dibSize
               && (fileSize == 0 || fileSize >= pixelOffset);
    }

    /// <summary>The type an extension promises, when it is one we can check.</summary>
    public static Sniffed? ForExtension(string extension) =>
        Known.FirstOrDefault(type => type.Extensions.Contains(extension, StringComparer.OrdinalIgnoreCase));

    private static Sniffed? Brand(ReadOnlySpan<byte> brand) =>
        brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("hevc"u8) || brand.SequenceEqual("hevx"u8)
            ? Heic
            : brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8) || brand.SequenceEqual("heim"u8) || brand.SequenceEqual("heis"u8)
                ? Heif
                : null;
}
