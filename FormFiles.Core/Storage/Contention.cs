namespace FormFiles.Storage;

/// <summary>
/// The one retry loop for optimistic writes: an attempt reads, decides and writes conditionally, and
/// answers whether it is done. Another attempt follows a lost race after a short jittered wait, at
/// most <see cref="MaxAttempts"/> in all; then <see cref="StorageContentionException"/> (answered as 14).
/// </summary>
public static class Contention
{
    public const int MaxAttempts = 16;
    private const int LongestWaitMs = 1000;

    /// <param name="attempts">How many attempts in all: <see cref="MaxAttempts"/>, or more for work that many callers wait on together.</param>
    public static async Task<T> RetryAsync<T>(Func<Task<(bool Done, T Result)>> attempt, CancellationToken cancellationToken, int attempts = MaxAttempts)
    {
        for (var n = 1; ; n++)
        {
            var (done, result) = await attempt();
            if (done)
                return result;
            if (n >= attempts)
                throw new StorageContentionException();
            await Task.Delay(Random.Shared.Next(0, Math.Min(LongestWaitMs, 10 << n)), cancellationToken);
        }
    }

    public static Task RetryAsync(Func<Task<bool>> attempt, CancellationToken cancellationToken, int attempts = MaxAttempts) =>
        RetryAsync(async () => (await attempt(), true), cancellationToken, attempts);
}

/// <summary>A row stayed contended through every attempt, or storage was too slow for a change to land in time: storage is too busy now (14, try again).</summary>
public sealed class StorageContentionException(string? message = null) : Exception(message ?? $"A row stayed contended through {Contention.MaxAttempts} attempts");
