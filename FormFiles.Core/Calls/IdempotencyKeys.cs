using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Storage;

namespace FormFiles.Calls;

/// <summary>
/// The <c>Idempotency-Key</c> header (IETF draft "The Idempotency-Key HTTP Header Field"). A key row in
/// the user's partition of <c>idempotency</c> is claimed before the work starts (an insert only one
/// request wins, or a conditional take-over of a row whose lease or retention ran out) and completed with
/// the answer after it. A repeat with the same fingerprint gets that answer back byte for byte; one with
/// other parameters gets 7; one while the first still runs gets 15 (429, <c>Retry-After: 1</c>).
/// <para>
/// A key belongs to the API key that sent it. The kept answer (upload credentials, a webhook secret) is
/// sealed with AES-GCM under a key derived from that API key and the Idempotency-Key, neither of which the
/// table holds (it keeps only digests): a copy of the table replays nothing, and only the caller can open it.
/// </para>
/// </summary>
public sealed partial class IdempotencyKeys(Tables tables, TimeProvider time, IOptions<FormFilesOptions> options, ILogger<IdempotencyKeys> logger)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>How often one instance looks for rows past their time (each sweep pass in Azure).</summary>
    public static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(5);

    private const int MaxKeyLength = 255;
    private const int ChunkBytes = 64 * 1024;
    private const int MaxChunks = 12;
    private const int PurgeBudget = 20_000;

    private readonly IntervalGate purges = new(PurgeInterval);

    /// <summary>The header's key (a bare token or a structured-field string); null when absent, 7 when malformed.</summary>
    public static string? Read(HttpRequest request)
    {
        var values = request.Headers[Header];
        if (values.Count == 0)
            return null;
        var key = values.Count == 1 ? values[0] ?? string.Empty : string.Empty;
        if (key.Length >= 2 && key[0] == '"' && key[^1] == '"')
            key = key[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
        return key.Length is > 0 and <= MaxKeyLength && key.All(c => c is >= ' ' and <= '~')
            ? key
            : throw ApiException.InvalidParameter(Header, $"must be given once, as 1 to {MaxKeyLength} printable ASCII characters");
    }

    /// <summary>Runs <paramref name="work"/> once for the user and key, and answers every repeat as it was answered.</summary>
    /// <param name="apiKey">The API key (its plain text, which only the request carries): the answer is sealed under it.</param>
    public async Task<ApiAnswer> RunAsync(Caller caller, string apiKey, string key, string fingerprint, Func<CancellationToken, Task<ApiAnswer>> work, HttpResponse response)
    {
        var seal = new AnswerSeal(apiKey, key);
        // Claimed whether or not the caller stays: a claim left without its work would hold the key for a lease.
        var (claim, earlier) = await ClaimAsync(Tables.Key(caller.UserId), seal.RowKey, fingerprint, seal, CancellationToken.None);
        if (earlier is not null)
        {
            if (earlier.Status == StatusCodes.Status429TooManyRequests)
                response.Headers.RetryAfter = "1";
            else
                response.Headers[ReplayedHeader] = "true";
            return earlier;
        }

        // The caller may go away now: the work finishes and its answer waits for the retry. The claim is
        // renewed meanwhile, so that slow work (storage retries) keeps its key.
        ApiAnswer? answer = null;
        using (var renewal = new CancellationTokenSource())
        {
            var renewing = RenewAsync(claim!, renewal.Token);
            try
            {
                answer = await work(CancellationToken.None);
            }
            finally
            {
                await renewal.CancelAsync();
                await renewing;
                await SettleAsync(claim!, answer, seal); // Without an answer (the work threw), the key is freed.
            }
        }

        return answer;
    }

    /// <summary>Deletes rows whose lease or retention ran out (at most once per <see cref="PurgeInterval"/> on an instance).</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!purges.TryEnter(now))
            return 0;

        var deleted = 0;
        var over = tables.Idempotency.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"Until lt {now}"), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken);
        await Parallel.ForEachAsync(Take(over, PurgeBudget), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (row, token) =>
        {
            try
            {
                await tables.Idempotency.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, token);
                Interlocked.Increment(ref deleted);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Taken again meanwhile, or deleted by a retry that had landed.
            }
        });
        if (deleted > 0)
            Purged(logger, deleted);
        return deleted;
    }

    /// <summary>
    /// Inserts the claim (no read first: a new key is the common case); when a row is there, reads it and
    /// takes it over if its time is up, or answers from it.
    /// </summary>
    private async Task<(TableEntity? Claim, ApiAnswer? Earlier)> ClaimAsync(string partition, string rowKey, string fingerprint, AnswerSeal seal, CancellationToken cancellationToken) =>
        await Contention.RetryAsync<(TableEntity?, ApiAnswer?)>(async () =>
        {
            var now = time.GetUtcNow();
            var claim = new TableEntity(partition, rowKey)
            {
                ["Fingerprint"] = fingerprint,
                ["State"] = Running,
                ["Until"] = now + options.Value.Idempotency.Lease,
            };
            if (await tables.Idempotency.TryAddAsync(claim, cancellationToken))
                return (true, (claim, null));

            var found = await tables.Idempotency.GetEntityIfExistsAsync<TableEntity>(partition, rowKey, cancellationToken: cancellationToken);
            if (!found.HasValue)
                return (false, default); // Freed meanwhile: insert again.
            var row = found.Value!;
            if (row.GetDateTimeOffset("Until") <= now)
            {
                var won = await tables.Idempotency.TryUpdateAsync(claim, row.ETag, cancellationToken);
                return (won, (won ? claim : null, null));
            }

            if (row.GetString("Fingerprint") != fingerprint)
                throw new ApiException(ErrorCode.InvalidParameters, "Invalid parameters: Idempotency-Key was used with other parameters");
            return (true, (null, row.GetString("State") == Done
                ? new ApiAnswer(seal.Open(Join(row)), row.GetInt32("Status") ?? StatusCodes.Status200OK)
                : ApiResults.Error(ErrorCode.TooManyRequests, "Too many requests: the first request with this Idempotency-Key is still running; retry in a second")));
        }, cancellationToken);

    /// <summary>
    /// Moves the claim's lease on every third of it while the work runs (on its ETag: a claim taken over
    /// stays lost). Only the wait is cancelled, never a write: the claim's ETag stays the row's.
    /// </summary>
    private async Task RenewAsync(TableEntity claim, CancellationToken cancellationToken)
    {
        var lease = options.Value.Idempotency.Lease;
        while (true)
        {
            try
            {
                await Task.Delay(lease / 3, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return; // The work is done.
            }

            try
            {
                claim["Until"] = time.GetUtcNow() + lease;
                if (!await WriteOwnAsync(claim, () => tables.Idempotency.TryUpdateAsync(claim, claim.ETag, CancellationToken.None)))
                    return;
            }
            catch (Exception e) when (StorageFaults.IsStorageFailure(e))
            {
                NotRenewed(logger, e, claim.PartitionKey); // The next third tries again.
            }
        }
    }

    /// <summary>Keeps a final answer for the retention; frees the key after storage trouble or without an answer (a retry runs again).</summary>
    private async Task SettleAsync(TableEntity claim, ApiAnswer? answer, AnswerSeal seal)
    {
        try
        {
            if (answer is null || answer.Status >= StatusCodes.Status500InternalServerError || answer.Status == StatusCodes.Status429TooManyRequests || answer.Body.Length > MaxChunks * ChunkBytes)
            {
                await WriteOwnAsync(claim, async () =>
                {
                    try
                    {
                        await tables.Idempotency.DeleteEntityAsync(claim.PartitionKey, claim.RowKey, claim.ETag, CancellationToken.None);
                        return true;
                    }
                    catch (RequestFailedException e) when (e.Status is 404 or 412)
                    {
                        return e.Status == 404; // Gone: a retry of this delete landed first.
                    }
                });
                return;
            }

            claim["State"] = Done;
            claim["Status"] = answer.Status;
            claim["Until"] = time.GetUtcNow() + options.Value.Idempotency.Retention;
            var sealedBody = seal.Close(answer.Body);
            for (var i = 0; i * ChunkBytes < sealedBody.Length; i++)
                claim[$"Body{i}"] = sealedBody.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, sealedBody.Length - (i * ChunkBytes))).ToArray();
            if (!await WriteOwnAsync(claim, () => tables.Idempotency.TryUpdateAsync(claim, claim.ETag, CancellationToken.None)))
                TakenOver(logger, claim.PartitionKey);
        }
        catch (Exception e) when (StorageFaults.IsStorageFailure(e))
        {
            NotSettled(logger, e, claim.PartitionKey);
        }
    }

    /// <summary>
    /// A conditional write of this request's own claim. When it loses on the ETag, the row is read: if it
    /// still carries the stamp of this request's last write (a renewal that landed although its answer was
    /// lost), the write is tried again on the row's ETag; otherwise another request took the key.
    /// </summary>
    private async Task<bool> WriteOwnAsync(TableEntity claim, Func<Task<bool>> write)
    {
        var mine = claim.GetString("Op");
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (await write())
                return true;
            var row = await tables.Idempotency.GetEntityIfExistsAsync<TableEntity>(claim.PartitionKey, claim.RowKey, ["Op"], CancellationToken.None);
            if (!row.HasValue || row.Value!.GetString("Op") != mine)
                return false;
            claim.ETag = row.Value.ETag;
        }

        return false;
    }

    private static byte[] Join(TableEntity row)
    {
        using var body = new MemoryStream();
        for (var i = 0; row.GetBinary($"Body{i}") is { } chunk; i++)
            body.Write(chunk);
        return body.ToArray();
    }

    /// <summary>
    /// One API key's Idempotency-Key: its row key (a digest of both, which row keys of any printable ASCII need anyway)
    /// and the AES-GCM key its answer is sealed with (HMAC-SHA256 of the Idempotency-Key under the API key).
    /// </summary>
    private sealed class AnswerSeal(string apiKey, string key)
    {
        private const int NonceBytes = 12;
        private const int TagBytes = 16;

        private readonly byte[] secret = HMACSHA256.HashData(Encoding.UTF8.GetBytes(apiKey), Encoding.ASCII.GetBytes("formfiles idempotency answer\n" + key));

        public string RowKey { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes($"{SHA256Hex(apiKey)}\n{key}")));

        /// <summary>Nonce, ciphertext, tag.</summary>
        public byte[] Close(byte[] body)
        {
            var sealedBody = new byte[NonceBytes + body.Length + TagBytes];
            var nonce = sealedBody.AsSpan(0, NonceBytes);
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(secret, TagBytes);
            aes.Encrypt(nonce, body, sealedBody.AsSpan(NonceBytes, body.Length), sealedBody.AsSpan(NonceBytes + body.Length), Encoding.ASCII.GetBytes(RowKey));
            return sealedBody;
        }

        public byte[] Open(byte[] sealedBody)
        {
            var body = new byte[sealedBody.Length - NonceBytes - TagBytes];
            using var aes = new AesGcm(secret, TagBytes);
            aes.Decrypt(sealedBody.AsSpan(0, NonceBytes), sealedBody.AsSpan(NonceBytes, body.Length), sealedBody.AsSpan(NonceBytes + body.Length), body, Encoding.ASCII.GetBytes(RowKey));
            return body;
        }

        private static string SHA256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static async IAsyncEnumerable<T> Take<T>(IAsyncEnumerable<T> items, int count)
    {
        await foreach (var item in items)
        {
            if (count-- <= 0)
                yield break;
            yield return item;
        }
    }

    private const string Running = "running";
    private const string Done = "done";

    [LoggerMessage(EventId = 2500, Level = LogLevel.Warning, Message = "An Idempotency-Key of user {UserKey} was taken over before its answer was kept (the work outlasted the lease)")]
    private static partial void TakenOver(ILogger logger, string userKey);

    [LoggerMessage(EventId = 2501, Level = LogLevel.Warning, Message = "The answer to an Idempotency-Key of user {UserKey} could not be kept; the key frees itself when its lease runs out")]
    private static partial void NotSettled(ILogger logger, Exception exception, string userKey);

    [LoggerMessage(EventId = 2503, Level = LogLevel.Warning, Message = "The lease of an Idempotency-Key of user {UserKey} could not be renewed; a retry after it runs the call again")]
    private static partial void NotRenewed(ILogger logger, Exception exception, string userKey);

    [LoggerMessage(EventId = 2502, Level = LogLevel.Information, Message = "Deleted {Count} Idempotency-Key rows past their time")]
    private static partial void Purged(ILogger logger, int count);
}
