using System.Globalization;
using System.Threading.RateLimiting;
using FormFiles.Auth;

namespace FormFiles.Calls;

/// <summary>
/// A token bucket per API key, on this instance (<see cref="PartitionedRateLimiter"/>): the bucket of a
/// key is chosen by the key and its policy, so that a changed policy starts a bucket of its own. Deciding
/// reads nothing from storage: a key's policy is what this instance last knew of its user, and the
/// configured one for a key it has not seen.
/// </summary>
public sealed class RateLimits(IOptions<FormFilesOptions> options) : IDisposable
{
    public const int MaxPermitsPerSecond = 100_000;
    public const int MaxBurst = 1_000_000;

    /// <summary>The partitioned limiter replenishes every bucket on its own 100 ms tick.</summary>
    internal const double TicksPerSecond = 10;

    private readonly PartitionedRateLimiter<Bucket> limiter = PartitionedRateLimiter.Create<Bucket, Bucket>(
        bucket => RateLimitPartition.GetTokenBucketLimiter(bucket, b => BucketOptions(b.Policy)));

    public RatePolicy PolicyOf(Caller? known)
    {
        var defaults = options.Value.RateLimit;
        return new RatePolicy(known?.Rate.PermitsPerSecond ?? defaults.PermitsPerSecond, known?.Rate.Burst ?? defaults.Burst);
    }

    /// <summary>Takes one call from the key's bucket, or says how long to wait.</summary>
    public RateDecision Acquire(string hash, Caller? known)
    {
        var bucket = new Bucket(hash, PolicyOf(known));
        using var lease = limiter.AttemptAcquire(bucket);
        var remaining = limiter.GetStatistics(bucket)?.CurrentAvailablePermits ?? 0;
        var wait = lease.IsAcquired
            ? TimeSpan.Zero
            : lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        return new RateDecision(lease.IsAcquired, bucket.Policy, remaining, wait);
    }

    public void Dispose() => limiter.Dispose();

    private static TokenBucketRateLimiterOptions BucketOptions(RatePolicy policy)
    {
        // Whole tokens every 100 ms or more: the limiter adds one period's tokens per tick at most.
        var tokens = (int)Math.Ceiling(policy.PermitsPerSecond / TicksPerSecond);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = policy.Burst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = TimeSpan.FromSeconds((double)tokens / policy.PermitsPerSecond),
            QueueLimit = 0,
        };
    }

    private readonly record struct Bucket(string Hash, RatePolicy Policy);
}

public readonly record struct RatePolicy(int PermitsPerSecond, int Burst);

/// <summary>One call's verdict, and the <c>RateLimit-Policy</c> / <c>RateLimit</c> fields of the IETF draft that describe it.</summary>
public readonly record struct RateDecision(bool Acquired, RatePolicy Policy, long Remaining, TimeSpan Wait)
{
    private const string PolicyName = "\"key\"";

    /// <summary>Whole seconds, at least one, counting the limiter's replenishment tick: a client that waits this long gets a token.</summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling((Wait + TimeSpan.FromSeconds(1 / RateLimits.TicksPerSecond)).TotalSeconds));

    public void WriteHeaders(IHeaderDictionary headers)
    {
        var window = (int)Math.Ceiling((double)Policy.Burst / Policy.PermitsPerSecond);
        var refill = (int)Math.Ceiling((Policy.Burst - Remaining) / (double)Policy.PermitsPerSecond);
        headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture, $"{PolicyName};q={Policy.Burst};w={window}");
        headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture, $"{PolicyName};r={Remaining};t={refill}");
        if (!Acquired)
            headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
    }
}
