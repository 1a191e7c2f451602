using System.Globalization;
using System.Threading.RateLimiting;
using FormFiles.Auth;

namespace FormFiles.Calls;

/// <summary>
/// A token bucket per API key, on this instance (<see cref="PartitionedRateLimiter"/>): the bucket of a
/// key is chosen by the key and its policy, so that a changed policy starts a bucket of its own. Deciding
/// reads nothing from storage: a key's policy is what this instance last knew of its user (the
/// configured one for a key it has not seen). Calls with keys not seen yet (each key's first call here,
/// and every call with a made-up key) also pass one shared bucket of <see cref="UnknownKeysFactor"/>
/// times the configured policy, so that a flood of made-up keys buys at most that many key lookups.
/// </summary>
public sealed class RateLimits(IOptions<FormFilesOptions> options) : IDisposable
{
    public const int MaxPermitsPerSecond = 100_000;
    public const int MaxBurst = 1_000_000;

    public const int UnknownKeysFactor = 100;

    /// <summary>The partitioned limiter replenishes every bucket on its own 100 ms tick.</summary>
    internal const double TicksPerSecond = 10;

    private readonly PartitionedRateLimiter<Bucket> limiter = PartitionedRateLimiter.Create<Bucket, Bucket>(
        bucket => RateLimitPartition.GetTokenBucketLimiter(bucket, b => BucketOptions(b.Policy)));

    public RatePolicy PolicyOf(Caller? known)
    {
        var defaults = options.Value.RateLimit;
        return new RatePolicy(known?.Rate.PermitsPerSecond ?? defaults.PermitsPerSecond, known?.Rate.Burst ?? defaults.Burst);
    }

    /// <summary>Takes one call from the key's bucket (a key not seen yet also from the unseen keys' one), or says how long to wait.</summary>
    public RateDecision Acquire(string hash, Caller? known)
    {
        var policy = PolicyOf(known);
        if (known is null)
        {
            var unseen = new Bucket(string.Empty, new RatePolicy(policy.PermitsPerSecond * UnknownKeysFactor, policy.Burst * UnknownKeysFactor));
            using var gate = limiter.AttemptAcquire(unseen);
            if (!gate.IsAcquired)
                return new RateDecision(false, policy, 0, Wait(gate));
        }

        var bucket = new Bucket(hash, policy);
        using var lease = limiter.AttemptAcquire(bucket);
        var remaining = limiter.GetStatistics(bucket)?.CurrentAvailablePermits ?? 0;
        return new RateDecision(lease.IsAcquired, policy, remaining, lease.IsAcquired ? TimeSpan.Zero : Wait(lease));
    }

    /// <summary>
    /// Takes one call from a bucket of <paramref name="name"/>'s own, at <paramref name="policy"/> or a key's default
    /// rate, for a call that names no key (a download link names its file, an upload its address). API key buckets
    /// are 32 hex digits: a name with a '/' is never one.
    /// </summary>
    public RateDecision AcquireOwn(string name, RatePolicy? policy = null)
    {
        var bucket = new Bucket(name, policy ?? PolicyOf(null));
        using var lease = limiter.AttemptAcquire(bucket);
        var remaining = limiter.GetStatistics(bucket)?.CurrentAvailablePermits ?? 0;
        return new RateDecision(lease.IsAcquired, bucket.Policy, remaining, lease.IsAcquired ? TimeSpan.Zero : Wait(lease));
    }

    private static TimeSpan Wait(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);

    public void Dispose() => limiter.Dispose();

    private static TokenBucketRateLimiterOptions BucketOptions(RatePolicy policy)
    {
        // Periods of 100 ms or more: the partitioned limiter replenishes on its own 100 ms tick.
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

    /// <summary>Writes the headers; null when the call may go on, else the 15 that refuses it (<paramref name="subject"/> names whose bucket it is).</summary>
    public Api.ApiAnswer? Refusal(IHeaderDictionary headers, string subject)
    {
        WriteHeaders(headers);
        return Acquired ? null : Api.ApiResults.Error(Api.ErrorCode.TooManyRequests,
            $"Too many requests (rate limit exceeded): {subject} may make {Policy.PermitsPerSecond} calls a second; retry in {RetryAfterSeconds} s");
    }

    /// <summary>
    /// <c>RateLimit-Policy: "key";q=Q;w=W</c>: Q calls in W seconds, the burst refilled at the rate (the
    /// rate alone when the burst is smaller); <c>RateLimit: "key";r=R;t=T</c>: R calls left now, and T the
    /// seconds to wait (a refused call) or until the bucket is full again.
    /// </summary>
    public void WriteHeaders(IHeaderDictionary headers)
    {
        var quota = Math.Max(Policy.Burst, Policy.PermitsPerSecond);
        var window = Math.Max(1, (int)Math.Ceiling((double)quota / Policy.PermitsPerSecond));
        var until = Acquired ? (int)Math.Ceiling((Policy.Burst - Remaining) / (double)Policy.PermitsPerSecond) : RetryAfterSeconds;
        headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture, $"{PolicyName};q={quota};w={window}");
        headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture, $"{PolicyName};r={Remaining};t={until}");
        if (!Acquired)
            headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
    }
}
