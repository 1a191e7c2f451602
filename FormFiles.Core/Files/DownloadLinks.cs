using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>
/// The <c>download_url</c> a file keeps for its life, as Navixy clients store it: <c>/v2/file/download?id=…&amp;sig=…</c>,
/// where <c>sig</c> is an HMAC of the id (ids are never given twice, so it names one file for good). The service
/// answers it with a redirect to a fresh short-lived read SAS of the accepted bytes while the file is uploaded.
/// The key is 32 random bytes in one counters row, made by the first process that needs it and read once per process,
/// at start-up (<see cref="LoadAsync(CancellationToken)"/>; on the first link when storage did not answer then).
/// </summary>
public sealed class DownloadLinks(Tables tables, IHttpContextAccessor http, IOptions<FormFilesOptions> options)
{
    private const string Partition = "secret";
    private const string Row = "download-links";

    private readonly SemaphoreSlim loading = new(1, 1);
    private byte[]? key;

    public async Task<Uri> LinkAsync(long fileId, CancellationToken cancellationToken)
    {
        var root = ApiRoutes.PublicRoot(http.HttpContext?.Request, options.Value.PublicBaseUrl);
        var id = fileId.ToString(CultureInfo.InvariantCulture);
        return new Uri(root, $"{ApiRoutes.Prefix}/file/download?id={id}&sig={Sign(await KeyAsync(cancellationToken), fileId)}");
    }

    /// <summary>Whether <paramref name="signature"/> is the link's of <paramref name="fileId"/> (in constant time).</summary>
    public async Task<bool> VerifiesAsync(long fileId, string signature, CancellationToken cancellationToken) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(await KeyAsync(cancellationToken), fileId)), Encoding.ASCII.GetBytes(signature));

    private static string Sign(byte[] key, long fileId) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"download.{fileId.ToString(CultureInfo.InvariantCulture)}")));

    /// <summary>Reads (or makes) the key now, so that checking a link never waits for storage.</summary>
    public Task LoadAsync(CancellationToken cancellationToken) => KeyAsync(cancellationToken);

    private async Task<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        if (key is { } known)
            return known;
        await loading.WaitAsync(cancellationToken);
        try
        {
            return key ??= await ReadOrMakeAsync(cancellationToken);
        }
        finally
        {
            loading.Release();
        }
    }

    private async Task<byte[]> ReadOrMakeAsync(CancellationToken cancellationToken)
    {
        var row = await tables.Counters.GetEntityIfExistsAsync<TableEntity>(Partition, Row, cancellationToken: cancellationToken);
        if (row.HasValue)
            return row.Value!.GetBinary("Key");
        var made = new TableEntity(Partition, Row) { ["Key"] = RandomNumberGenerator.GetBytes(32) };
        try
        {
            await tables.Counters.AddEntityAsync(made, cancellationToken);
            return made.GetBinary("Key");
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Made meanwhile by another process, or by this add's own retry: the stored one is the key.
            return (await tables.Counters.GetEntityAsync<TableEntity>(Partition, Row, cancellationToken: cancellationToken)).Value.GetBinary("Key");
        }
    }
}

/// <summary>
/// <c>file/download {id, sig}</c> (ours, the <c>download_url</c>): 302 to a fresh read SAS while the file is uploaded (200 with
/// it to a call that accepts only JSON); 11 for a link that is not the service's, 201 once the file is gone, 429 past the
/// default rate per link. A made-up link costs no storage request; a link costs one read a call, within its rate.
/// </summary>
internal sealed class FileDownloadAction(DownloadLinks links, Tables tables, FileBlobs blobs, Calls.RateLimits limits) : IApiAction
{
    public string Name => "file/download";

    public bool UsesApiKey => false;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var fileId = request.Parameters.RequiredInt64("id");
        var signature = request.Parameters.RequiredString("sig");
        if (!await links.VerifiesAsync(fileId, signature, cancellationToken))
            throw new ApiException(ErrorCode.AccessDenied, "Access denied: not a download link of this service");
        if (limits.AcquireOwn($"download/{fileId.ToString(CultureInfo.InvariantCulture)}").Refusal(request.HttpContext.Response.Headers, "a download link") is { } refused)
            return refused;
        var file = await tables.FindFileAsync(fileId, cancellationToken);
        if (file is not { State: FileStates.Uploaded })
            throw new ApiException(ErrorCode.NotFound, "Not found in database: the file is gone");
        var sas = await blobs.DownloadSasAsync(file.BlobName, file.Name, file.MimeType, cancellationToken);
        // A browser or a stored link follows the redirect; a client that accepts only JSON (a generated one) gets the URL.
        var accept = request.HttpContext.Request.GetTypedHeaders().Accept;
        return accept.Count > 0 && accept.All(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            ? ApiResults.Ok(new RedirectResponse(sas))
            : ApiResults.Redirect(sas);
    }
}
