using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Storage;

namespace FormFiles.Auth;

/// <summary>
/// Issues, looks up and revokes API keys. A key is 32 lowercase hex characters from a
/// cryptographic RNG; only its SHA-256 is stored. Lookups are cached for
/// <see cref="CacheLifetime"/>, so that a revocation takes effect on every instance within it
/// (and at once on the instance that revoked).
/// </summary>
public sealed class ApiKeys(Tables tables, TimeProvider time)
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(4);

    private readonly ConcurrentDictionary<string, (Caller Caller, DateTimeOffset Expires)> cache = new(StringComparer.Ordinal);

    /// <summary>3 when the hash is absent or malformed, 4 when it is unknown or revoked, 11 when it lacks the right.</summary>
    public async Task<Caller> AuthenticateAsync(ApiParameters parameters, Access access, CancellationToken cancellationToken)
    {
        var hash = parameters.RequireHash();
        var caller = await FindAsync(hash, cancellationToken)
                     ?? throw new ApiException(ErrorCode.KeyNotFound, "User or API key not found or session ended");
        return caller.May(access)
            ? caller
            : throw new ApiException(ErrorCode.AccessDenied, $"Access denied: this key lacks the right '{(access == Access.Read ? Rights.TaskView : Rights.TaskUpdate)}'");
    }

    public async Task<string> CreateAsync(long userId, IReadOnlySet<string> rights, CancellationToken cancellationToken)
    {
        var hash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var added = await tables.ApiKeys.TryAddAsync(
            new ApiKeyEntity
            {
                PartitionKey = Digest(hash),
                UserId = userId,
                Rights = string.Join(',', rights.Order(StringComparer.Ordinal)),
                Created = time.GetUtcNow(),
            },
            cancellationToken);
        if (!added)
            throw new InvalidOperationException("A random 128-bit key was drawn twice");
        return hash;
    }

    /// <returns>False when no such key exists (revoking twice succeeds).</returns>
    public async Task<bool> RevokeAsync(string hash, CancellationToken cancellationToken)
    {
        cache.TryRemove(hash, out _);
        var row = await tables.ApiKeys.GetEntityIfExistsAsync<ApiKeyEntity>(Digest(hash), ApiKeyEntity.Row, cancellationToken: cancellationToken);
        if (!row.HasValue)
            return false;
        var key = row.Value!;
        if (key.Revoked is null)
        {
            key.Revoked = time.GetUtcNow();
            await tables.ApiKeys.UpdateEntityAsync(key, ETag.All, TableUpdateMode.Replace, cancellationToken);
        }

        return true;
    }

    private async Task<Caller?> FindAsync(string hash, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(hash, out var cached) && cached.Expires > now)
            return cached.Caller;

        var row = await tables.ApiKeys.GetEntityIfExistsAsync<ApiKeyEntity>(Digest(hash), ApiKeyEntity.Row, cancellationToken: cancellationToken);
        if (!row.HasValue || row.Value!.Revoked is not null)
        {
            cache.TryRemove(hash, out _);
            return null;
        }

        var caller = new Caller(row.Value.UserId, row.Value.Rights.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal));
        cache[hash] = (caller, now + CacheLifetime);
        return caller;
    }

    private static string Digest(string hash) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(hash)));
}
