using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using FormFiles.Admin;
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

    private readonly ConcurrentDictionary<long, (TimeZoneInfo Zone, DateTimeOffset Expires)> zones = new();

    /// <summary>3 when the hash is absent or malformed, 4 when it is unknown or revoked, 11 when it lacks the right.</summary>
    public async Task<Caller> AuthenticateAsync(ApiParameters parameters, Access access, CancellationToken cancellationToken)
    {
        var hash = parameters.RequireHash();
        var caller = await FindAsync(hash, cancellationToken)
                     ?? throw new ApiException(ErrorCode.KeyNotFound, "User or API key not found or session ended");
        return Authorize(caller, access);
    }

    /// <summary><paramref name="caller"/>, or 11 when its key lacks the right <paramref name="access"/> needs.</summary>
    public static Caller Authorize(Caller caller, Access access) => caller.May(access)
        ? caller
        : throw new ApiException(ErrorCode.AccessDenied, $"Access denied: this key lacks the right '{(access == Access.Read ? Rights.TaskView : Rights.TaskUpdate)}'");

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

    /// <summary>The user behind a well-formed key, or 4: the dispatcher's check, before the action's own.</summary>
    public async Task<Caller> IdentifyAsync(string hash, CancellationToken cancellationToken) =>
        await FindAsync(hash, cancellationToken) ?? throw new ApiException(ErrorCode.KeyNotFound, "User or API key not found or session ended");

    /// <summary>What this instance last knew of a key, however old, without asking storage (null when it never saw it).</summary>
    public Caller? Peek(string hash) => cache.TryGetValue(hash, out var cached) ? cached.Caller : null;

    /// <summary>A user's settings changed on this instance: its cached keys take them at once (other instances within <see cref="CacheLifetime"/>).</summary>
    public void UserChanged(long userId, RateOverride rate, TimeZoneInfo zone)
    {
        zones[userId] = (zone, time.GetUtcNow() + CacheLifetime);
        foreach (var (hash, cached) in cache)
        {
            if (cached.Caller.UserId == userId)
                cache.TryUpdate(hash, (cached.Caller with { Rate = rate, Zone = zone }, cached.Expires), cached);
        }
    }

    /// <summary>A user's time zone, for a call that names no key (a token's upload); cached as keys are.</summary>
    public async Task<TimeZoneInfo> ZoneOfAsync(long userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (zones.TryGetValue(userId, out var cached) && cached.Expires > now)
            return cached.Zone;
        var zone = TimeZones.Of((await tables.FindUserAsync(userId, cancellationToken))?.TimeZone);
        zones[userId] = (zone, now + CacheLifetime);
        return zone;
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

        var user = await tables.FindUserAsync(row.Value.UserId, cancellationToken);
        var caller = new Caller(
            row.Value.UserId,
            row.Value.Rights.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal),
            hash[..8],
            new RateOverride(user?.RateLimitPerSecond, user?.RateLimitBurst),
            TimeZones.Of(user?.TimeZone));
        cache[hash] = (caller, now + CacheLifetime);
        zones[caller.UserId] = (caller.Zone, now + CacheLifetime);
        return caller;
    }

    private static string Digest(string hash) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(hash)));
}
