using System.Collections.Concurrent;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>
/// Items (files, task-list copies) whose settlement by a background pass failed, each with the time
/// before which the passes leave it alone: 5 s after the first failure, doubling up to an hour. So one
/// row that always fails is logged, not retried on every tick, and never keeps the others waiting.
/// Storage that is not answering is not the item's fault: that failure ends the pass instead, and backs
/// nothing off. Per instance, in memory.
/// </summary>
public sealed partial class ItemBackoff(TimeProvider time, ILogger<ItemBackoff> logger)
{
    private static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LongestWait = TimeSpan.FromHours(1);
    private const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset RetryAt)> failing = new(StringComparer.Ordinal);

    /// <summary>Whether the item <paramref name="key"/> failed lately and should be left for a later pass.</summary>
    public bool IsWaiting(string key) => failing.TryGetValue(key, out var entry) && entry.RetryAt > time.GetUtcNow();

    /// <summary>Runs one item's work; a failure (other than the pass being cancelled) is logged and backs the item off.</summary>
    /// <returns>False when the work failed.</returns>
    /// <param name="key">The item's key (what <see cref="IsWaiting"/> is asked with).</param>
    /// <param name="item">What the item is, for the log.</param>
    public async Task<bool> RunAsync(string key, string item, Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        try
        {
            await work(cancellationToken);
            failing.TryRemove(key, out _);
            return true;
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested)
                                  && (e is StorageContentionException || !StorageFaults.IsUnavailable(e)))
        {
            if (failing.Count >= Capacity)
                failing.Clear();
            var entry = failing.AddOrUpdate(key, _ => (1, time.GetUtcNow() + FirstWait), (_, old) =>
                (old.Failures + 1, time.GetUtcNow() + Wait(old.Failures + 1)));
            ItemFailed(logger, e, item, entry.Failures, entry.RetryAt - time.GetUtcNow());
            return false;
        }
    }

    private static TimeSpan Wait(int failures) =>
        failures >= 20 ? LongestWait : TimeSpan.FromTicks(Math.Min(LongestWait.Ticks, FirstWait.Ticks << (failures - 1)));

    [LoggerMessage(EventId = 2310, Level = LogLevel.Error, Message = "Could not settle {Item} (failure {Failures}); it is left alone for {Wait}")]
    private static partial void ItemFailed(ILogger logger, Exception exception, string item, int failures, TimeSpan wait);
}
