using System.Buffers;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using FormFiles.Api;
using FormFiles.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace FormFiles.Files;

/// <summary>
/// Multipart uploads into a reservation, authorised by its <c>token</c>: Navixy's
/// <c>task/form/file/upload</c> (<see cref="FileUploadAction"/>) and the dialects' one-call uploads.
/// The fields come first and the file part last. The file part is streamed into
/// the reserved blob in 2 MiB blocks, at most two staged at once from pooled buffers, never held whole; reading stops at
/// the reserved size + 1 byte (271, nothing stored, the reservation still usable). The file is
/// <c>in_progress</c> while it streams; completion runs at the end, so the answer is the final state.
/// </summary>
public sealed class MultipartUploads(Tables tables, FileBlobs blobs, UploadCompletion completion, FileViews views, Auth.ApiKeys keys, IOptions<FormFilesOptions> options, TimeProvider time)
{
    private const int BlockSize = 2 * 1024 * 1024;
    private const int StagesInFlight = 2;

    /// <summary>Block buffers for every upload in the process (ArrayPool.Shared does not keep arrays this large).</summary>
    private static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(BlockSize, maxArraysPerBucket: 32);
    private const int MaxFieldLength = 4096;
    private const int MaxFields = 16;
    /// <summary>RFC 2046's longest boundary.</summary>
    private const int MaxBoundaryLength = 70;

    /// <summary>
    /// Reads the form fields of <paramref name="http"/> up to the file part (named <paramref name="filePart"/>,
    /// or any part with a filename), and hands them and the unread file part to <paramref name="upload"/>:
    /// 5 for a body that is not well-formed multipart, 9 for too many or too long fields, 7 without a file part.
    /// With <paramref name="ready"/>, fields may also follow the file (Tallyfy's own sample sends it first): a file part that
    /// comes before <paramref name="ready"/> holds streams into a staging blob (at most FormFiles:MaxFileSize, else 271), the
    /// fields after it are read, and <paramref name="upload"/> gets the staged bytes; the staging blob goes when it returns.
    /// </summary>
    public async Task<ApiAnswer> ReadAsync(HttpRequest http, string filePart, Func<IReadOnlyDictionary<string, string>, FilePart, Task<ApiAnswer>> upload, CancellationToken cancellationToken, Func<IReadOnlyDictionary<string, string>, bool>? ready = null)
    {
        if (!MediaTypeHeaderValue.TryParse(http.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 and <= MaxBoundaryLength } boundary)
        {
            throw new ApiException(ErrorCode.WrongRequestFormat, $"Wrong request format: an upload is multipart/form-data with a boundary of 1 to {MaxBoundaryLength} characters, the token first and the file last");
        }

        var reader = new MultipartReader(boundary, http.Body)
        {
            HeadersCountLimit = 8,
            HeadersLengthLimit = 8 * 1024, // The preamble before the first boundary has the reader's own fixed limit (16 KiB).
            BodyLengthLimit = FormFilesOptions.MaxFileSizeCeiling + 1,
        };
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var fieldParts = 0;
        StagedFile? staged = null;
        try
        {
            while (await ReadBodyAsync(() => reader.ReadNextSectionAsync(cancellationToken), cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                    throw new ApiException(ErrorCode.WrongRequestFormat, "Wrong request format: every part of the upload needs a Content-Disposition");
                if (disposition.IsFileDisposition() || disposition.Name.Value == filePart)
                {
                    if (staged is not null)
                        throw ApiException.InvalidParameter(filePart, "comes once: an upload holds one file");
                    if (ready is null || ready(fields))
                        return await upload(fields, new FilePart(filePart, section.Body, disposition.FileName.Value));
                    staged = await StageAsync(section.Body, disposition.FileName.Value, cancellationToken);
                    continue;
                }

                if (++fieldParts > MaxFields) // Parts, not names: a repeated name counts each time.
                    throw new ApiException(ErrorCode.RequestTooLarge, $"Too large request: at most {MaxFields} form fields come with the file");
                fields[disposition.Name.Value ?? string.Empty] = await ReadBodyAsync(() => ReadFieldAsync(section, cancellationToken), cancellationToken);
            }

            if (staged is null)
                throw ApiException.InvalidParameter(filePart, "is required, as the last part of the form");
            await using var bytes = await staged.Blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken);
            return await upload(fields, new FilePart(filePart, bytes, staged.FileName, staged.Length));
        }
        finally
        {
            if (staged is not null)
                await DiscardAsync(staged.Blob);
        }
    }

    /// <summary>
    /// Removes a staging blob, its uncommitted blocks too (an empty block list drops them, then the blob goes). A failure here
    /// changes no answer: the lifecycle rule on staging/ removes what is left.
    /// </summary>
    private static async Task DiscardAsync(BlockBlobClient blob)
    {
        try
        {
            await blob.CommitBlockListAsync([], cancellationToken: CancellationToken.None);
            await blob.DeleteIfExistsAsync(cancellationToken: CancellationToken.None);
        }
        catch (Exception e) when (e is RequestFailedException or IOException or OperationCanceledException || StorageFaults.IsStorageFailure(e))
        {
            // Left to the lifecycle rule.
        }
    }

    /// <summary>A file part that came before the fields it needs, kept in <c>accepted-files/staging/</c> (no SAS reaches it).</summary>
    private sealed record StagedFile(BlockBlobClient Blob, string? FileName, long Length);

    private async Task<StagedFile> StageAsync(Stream body, string? fileName, CancellationToken cancellationToken)
    {
        var blob = blobs.Accepted.GetBlockBlobClient($"{FileBlobs.StagingPrefix}{Guid.NewGuid():N}");
        long? length;
        try
        {
            length = await StreamAsync(blob, options.Value.MaxFileSize, body, cancellationToken);
        }
        catch
        {
            await DiscardAsync(blob); // Blocks staged before the failure (a broken body, a client gone) go too.
            throw;
        }

        if (length is null)
            await DiscardAsync(blob); // Over the limit: nothing was committed, but blocks were staged.
        return length is { } stored
            ? new StagedFile(blob, fileName, stored)
            : throw new ApiException(ErrorCode.FileTooLarge, $"File size is larger than the maximum allowed: at most {options.Value.MaxFileSize} bytes");
    }

    /// <summary>A read of the request body: a body that breaks the multipart format is the client's error (5), not ours.</summary>
    private static async Task<T> ReadBodyAsync<T>(Func<Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is InvalidDataException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw new ApiException(ErrorCode.WrongRequestFormat, $"Wrong request format: the multipart body is malformed ({e.Message.TrimEnd('.')})");
        }
    }

    /// <summary>
    /// Streams <paramref name="part"/> into the reservation of <paramref name="token"/> and completes it:
    /// <c>{value: file}</c> once uploaded; 4 or 269 for the token, 271 past the reserved size (the
    /// reservation stays as it was), 7 when completion rejects the content.
    /// </summary>
    /// <param name="iso">For a <c>/v2/</c> upload: its answer's dates in the file owner's time zone, ISO 8601 when true; null for a dialect's (UTC).</param>
    public async Task<ApiAnswer> UploadAsync(string? token, FilePart part, CancellationToken cancellationToken, bool? iso = null)
    {
        var (file, reservedName, zone) = await ClaimAsync(token, part.FileName, iso is not null, cancellationToken);
        if (iso is { } asked)
            ApiDate.Current = new ApiDate.DateStyle(zone!, asked); // Here: a value set inside ClaimAsync would not flow back.
        Telemetry.Lifecycle.Tag(file.UserId, file.TaskId, file.Id);
        bool stored;
        try
        {
            stored = await StreamAsync(blobs.Container.GetBlockBlobClient(file.BlobName), file.ReservedSize, part.Body, cancellationToken) is not null;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // The blob was accepted meanwhile (an upload through the SAS, now leased): it cannot be written over.
            await ReleaseClaimAsync(file, reservedName, CancellationToken.None);
            throw new ApiException(ErrorCode.InvalidFileState, $"Invalid file state: file {file.Id} was uploaded through its SAS meanwhile");
        }
        catch
        {
            await ReleaseClaimAsync(file, reservedName, CancellationToken.None);
            throw;
        }

        if (!stored)
        {
            await ReleaseClaimAsync(file, reservedName, CancellationToken.None);
            throw new ApiException(ErrorCode.FileTooLarge, $"File size is larger than the maximum allowed: {file.ReservedSize} bytes were reserved");
        }

        var completed = await completion.HandleAsync(file.BlobName, cancellationToken) ?? file;
        return completed.State switch
        {
            FileStates.Uploaded => ApiResults.Ok(new ValueResponse<FormFileView>(await views.ViewAsync(completed, cancellationToken))),
            FileStates.Rejected => throw ApiException.InvalidParameter(part.Name, $"was rejected: {completed.Rejection}"),
            _ => throw new ApiException(ErrorCode.InvalidFileState, $"Invalid file state: file {file.Id} was not accepted; its reservation expired or was deleted during the upload"),
        };
    }

    /// <summary>The token's file, moved from created to in_progress: 4 when the token does not verify, 269 when it was used or expired.</summary>
    /// <returns>The claimed file, the name it had before the upload's own name filled in a missing one, and its owner's time zone when <paramref name="ownerZone"/>.</returns>
    private async Task<(FileEntity File, string? ReservedName, TimeZoneInfo? Zone)> ClaimAsync(string? token, string? uploadedName, bool ownerZone, CancellationToken cancellationToken)
    {
        if (token is null)
            throw ApiException.InvalidParameter("token", "is required, before the file part");
        if (!UploadTokens.TryParse(token, out var fileId, out var tokenExpires, out var verifier))
            throw NotVerified();
        var file = await tables.FindFileAsync(fileId, cancellationToken);
        if (file is null && time.GetUtcNow() > tokenExpires)
            throw new ApiException(ErrorCode.InvalidFileState, $"Invalid file state: the reservation of file {fileId} expired; a token uploads once, before it expires");
        if (file is null || !UploadTokens.Verifies(verifier, file.TokenDigest))
            throw NotVerified();

        if (file.State != FileStates.Created || time.GetUtcNow() > file.Expires)
            throw new ApiException(ErrorCode.InvalidFileState, $"Invalid file state: file {file.Id} is {(file.State == FileStates.Created ? "expired" : file.State)}; a token uploads once, before the reservation expires");

        // Before the claim, so that a failing lookup leaves the reservation as it was.
        var zone = ownerZone ? await keys.ZoneOfAsync(file.UserId, cancellationToken) : null;

        var reservedName = file.Name;
        file.State = FileStates.InProgress;
        file.Name ??= DisplayName(uploadedName);
        if (!await tables.Tasks.TryUpdateAsync(file, file.ETag, cancellationToken))
            throw new ApiException(ErrorCode.InvalidFileState, $"Invalid file state: file {file.Id} is being uploaded already");
        return (file, reservedName, zone);
    }

    /// <summary>Back to created and its reserved name, as if the failed upload never came (after 271, bad multipart, a broken connection).</summary>
    private async Task ReleaseClaimAsync(FileEntity file, string? reservedName, CancellationToken cancellationToken)
    {
        file.State = FileStates.Created;
        file.Name = reservedName;
        // False when it was deleted or settled meanwhile (a SAS upload completed it, or the sweep took it): leave it.
        await tables.Tasks.TryUpdateAsync(file, file.ETag, cancellationToken);
    }

    /// <summary>
    /// Streams the part into the blob in blocks, staging up to <see cref="StagesInFlight"/> at once, each
    /// from a pooled buffer; its length, or null (and nothing committed) once the part passes <paramref name="limit"/>.
    /// </summary>
    private static async Task<long?> StreamAsync(BlockBlobClient blob, long limit, Stream body, CancellationToken cancellationToken)
    {
        var blocks = new List<string>();
        var staging = new List<Task>();
        long total = 0;
        try
        {
            while (true)
            {
                var buffer = Buffers.Rent(BlockSize);
                var handedOver = false;
                try
                {
                    // Never read past the limit + 1 byte.
                    var wanted = (int)Math.Min(BlockSize, limit + 1 - total);
                    var read = await ReadBodyAsync(() => body.ReadAtLeastAsync(buffer.AsMemory(0, wanted), wanted, throwOnEndOfStream: false, cancellationToken).AsTask(), cancellationToken);
                    total += read;
                    if (total > limit)
                        return null;
                    var last = read < wanted;
                    if (last && blocks.Count == 0)
                    {
                        await blob.UploadAsync(new MemoryStream(buffer, 0, read, writable: false), new BlobUploadOptions(), cancellationToken);
                        return total;
                    }

                    if (read > 0)
                    {
                        var id = Convert.ToBase64String(BitConverter.GetBytes(blocks.Count));
                        blocks.Add(id);
                        staging.Add(StageAsync(blob, id, buffer, read, cancellationToken));
                        handedOver = true;
                    }

                    if (staging.Count >= StagesInFlight || last)
                    {
                        var staged = last ? Task.WhenAll(staging) : await Task.WhenAny(staging);
                        await staged;
                        staging.RemoveAll(t => t.IsCompleted);
                    }

                    if (last)
                    {
                        await blob.CommitBlockListAsync(blocks, cancellationToken: cancellationToken);
                        return total;
                    }
                }
                finally
                {
                    if (!handedOver)
                        Buffers.Return(buffer);
                }
            }
        }
        finally
        {
            // Let every staging finish (and give its buffer back) before the request ends.
            await Task.WhenAll(staging.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    private static async Task StageAsync(BlockBlobClient blob, string id, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        try
        {
            await blob.StageBlockAsync(id, new MemoryStream(buffer, 0, length, writable: false), cancellationToken: cancellationToken);
        }
        finally
        {
            Buffers.Return(buffer);
        }
    }

    private static async Task<string> ReadFieldAsync(MultipartSection section, CancellationToken cancellationToken)
    {
        var buffer = new char[MaxFieldLength + 1];
        using var reader = new StreamReader(section.Body, Encoding.UTF8);
        var length = await reader.ReadBlockAsync(buffer, cancellationToken);
        return length <= MaxFieldLength
            ? new string(buffer, 0, length)
            : throw new ApiException(ErrorCode.RequestTooLarge, $"Too large request: a form field takes at most {MaxFieldLength} characters");
    }

    /// <summary>The uploaded file's own name, when it is a fit display name (no path, no control characters).</summary>
    private static string? DisplayName(string? uploaded)
    {
        var name = Path.GetFileName(HeaderUtilities.RemoveQuotes(uploaded ?? string.Empty).Value?.Replace('\\', '/'));
        return name is not null && Filenames.IsValid(name) ? name : null;
    }

    private static ApiException NotVerified() => new(ErrorCode.KeyNotFound, "The upload token does not verify");
}

/// <summary>
/// The unread file part of a multipart upload, under the name its form gave it, with the file name it sent; a part that
/// came before its fields was staged first, and its <see cref="StagedLength"/> is known.
/// </summary>
public sealed record FilePart(string Name, Stream Body, string? FileName, long? StagedLength = null);

/// <summary><c>task/form/file/upload</c>: Navixy's multipart POST, the <c>token</c> before the part <c>file</c>.</summary>
internal sealed class FileUploadAction(MultipartUploads uploads, Calls.RateLimits limits, IOptions<FormFilesOptions> options) : IApiAction
{
    public string Name => "task/form/file/upload";

    public bool ReadsBody => true;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        // No key: the client's address has a bucket of its own (at a key's rate), so made-up tokens cost storage at that rate at most.
        if (limits.AcquireOwn("address/" + Calls.ClientAddress.Of(request.HttpContext, options.Value.RateLimit.TrustedProxies)).Refusal(request.HttpContext.Response.Headers, "an address without a key") is { } refused)
            return refused;
        return await uploads.ReadAsync(request.HttpContext.Request, "file", (fields, part) => uploads.UploadAsync(fields.GetValueOrDefault("token"), part, cancellationToken, Iso(fields)), cancellationToken);
    }

    /// <summary>ISO 8601 when the query or header asked (the dispatcher's reading) or a form field says <c>iso_datetime=true</c>.</summary>
    private static bool Iso(IReadOnlyDictionary<string, string> fields) =>
        ApiDate.Current.Iso || string.Equals(fields.GetValueOrDefault("iso_datetime")?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
}
