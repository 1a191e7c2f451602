using System.Security.Cryptography;
using System.Text;

namespace FormFiles.Files;

/// <summary>
/// The multipart upload token: <c>{file_id}.{secret}</c>, with 256 random bits of secret. Only the
/// secret's SHA-256 is stored on the file row, so the token is unguessable, names its one file, and
/// dies with the reservation.
/// </summary>
public static class UploadTokens
{
    public static (string Token, string Digest) Create(long fileId)
    {
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return ($"{fileId}.{secret}", Digest(secret));
    }

    public static string Digest(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
