using System.Collections.Concurrent;

namespace FormFiles.Storage;

/// <summary>
/// Changes of one partition's count row, taken in turn within this instance: parallel calls that would only
/// collide on the row's ETag wait in line instead of failing their attempts, so a burst of one user's creates
/// costs one attempt each. Across instances the ETag still decides, and <see cref="Contention"/> retries.
/// Not reentrant: the work must not take a turn at the same key.
/// </summary>
public sealed class Turns
{
    private readonly ConcurrentDictionary<string, Line> lines = new();

    public async Task<T> TakeAsync<T>(string key, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var line = Join(key);
        try
        {
            await line.Turn.WaitAsync(cancellationToken);
            try
            {
                return await work();
            }
            finally
            {
                line.Turn.Release();
            }
        }
        finally
        {
            Leave(key, line);
        }
    }

    public Task TakeAsync(string key, Func<Task> work, CancellationToken cancellationToken) =>
        TakeAsync(key, async () => { await work(); return true; }, cancellationToken);

    private Line Join(string key)
    {
        while (true)
        {
            var line = lines.GetOrAdd(key, _ => new Line());
            lock (line)
            {
                if (line.Waiting >= 0)
                {
                    line.Waiting++;
                    return line;
                }
            }
        }
    }

    /// <summary>The last one out closes the line (it cannot be joined again) and removes it.</summary>
    private void Leave(string key, Line line)
    {
        lock (line)
        {
            if (--line.Waiting > 0)
                return;
            line.Waiting = -1;
            lines.TryRemove(KeyValuePair.Create(key, line)); // Within the lock: a joiner never spins on a closed line for long.
        }
    }

    private sealed class Line
    {
        public SemaphoreSlim Turn { get; } = new(1, 1);

        /// <summary>Callers in line; -1 once closed.</summary>
        public int Waiting { get; set; }
    }
}
