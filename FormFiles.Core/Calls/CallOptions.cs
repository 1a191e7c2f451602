namespace FormFiles.Calls;

/// <summary>Section <c>FormFiles:RateLimit</c>: each API key's token bucket, on each instance.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Calls a key may make per second, on average.</summary>
    public int PermitsPerSecond { get; set; } = 20;

    /// <summary>Calls a key may make at once, after a quiet spell.</summary>
    public int Burst { get; set; } = 40;

    /// <summary>How many proxies in front of the service append to <c>X-Forwarded-For</c> (see <see cref="ClientAddress"/>); 0: none.</summary>
    public int TrustedProxies { get; set; }

    internal void Validate(string section, List<string> failures)
    {
        if (PermitsPerSecond is < 1 or > RateLimits.MaxPermitsPerSecond)
            failures.Add($"{section}:PermitsPerSecond must be between 1 and {RateLimits.MaxPermitsPerSecond}.");
        if (Burst is < 1 or > RateLimits.MaxBurst)
            failures.Add($"{section}:Burst must be between 1 and {RateLimits.MaxBurst}.");
        if (TrustedProxies is < 0 or > 8)
            failures.Add($"{section}:TrustedProxies must be between 0 and 8.");
    }
}

/// <summary>Section <c>FormFiles:Idempotency</c>: how long answers to an <c>Idempotency-Key</c> are kept.</summary>
public sealed class IdempotencyOptions
{
    /// <summary>How long a stored answer is replayed; after it, the key starts afresh.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a first request holds its key; a request whose process died frees it when this runs out.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    internal void Validate(string section, List<string> failures)
    {
        if (Retention < TimeSpan.FromMinutes(1) || Retention > TimeSpan.FromDays(30))
            failures.Add($"{section}:Retention must be between 00:01:00 and 30.00:00:00.");
        if (Lease < TimeSpan.FromSeconds(1) || Lease > TimeSpan.FromHours(1))
            failures.Add($"{section}:Lease must be between 00:00:01 and 01:00:00.");
    }
}
