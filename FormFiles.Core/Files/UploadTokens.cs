using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FormFiles.Files;

/// <summary>
/// The multipart upload token: <c>{file_id}.{expires}.{secret}</c>, where <c>expires</c> is the
/// reservation's expiry in Unix seconds and the secret 256 random bits. Only the SHA-256 of
/// <c>{expires}.{secret}</c> is stored on the file row, so the token is unguessable, names its one
/// file, and says when it dies even after its row is gone (a late upload is then 269, not 4).
/// </summary>
public static class UploadTokens
{
    public static (string Token, string Digest) Create(long fileId, DateTimeOffset expires)
    {
        var verifier = $"{expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}.{Base64Url(RandomNumberGenerator.GetBytes(32))}";
        return ($"{fileId.ToString(CultureInfo.InvariantCulture)}.{verifier}", Digest(verifier));
    }

    /// <summary>Splits a token; false when it is not of the form a reservation hands out.</summary>
    public static bool TryParse(string token, out long fileId, out DateTimeOffset expires, out string verifier)
    {
        fileId = 0;
        expires = default;
        verifier = string.Empty;
        var parts = token.Split('.');
        if (parts.Length != 3
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out fileId)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            || parts[2].Length == 0)
        {
            return false;
        }

        expires = DateTimeOffset.FromUnixTimeSeconds(seconds);
        verifier = $"{parts[1]}.{parts[2]}";
        return true;
    }

    /// <summary>Whether <paramref name="verifier"/> (from <see cref="TryParse"/>) is the one whose digest a file row holds.</summary>
    public static bool Verifies(string verifier, string digest) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Digest(verifier)), Encoding.ASCII.GetBytes(digest));

    private static string Digest(string verifier) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(verifier)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
