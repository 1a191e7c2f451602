using System.Collections.Concurrent;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>
/// Completes every pending reservation whose blob exists (design §7): the DevHost's stand-in for
/// Event Grid, and Azure's safety net for a missed event. Each pass reads at most <see cref="Budget"/>
/// reservations that are not yet due, spread over the index's shards, each shard going on from where
/// its last pass stopped (and starting over at its end), so that every reservation is reached long
/// before it expires, not only the next to expire. It then lists each of their tasks' blobs once
/// (one listing per task, not a request per reservation) and completes those whose blob is there. A
/// reservation whose completion fails is logged and backed off (<see cref="ItemBackoff"/>).
/// </summary>
public sealed partial class Reconciliation(Tables tables, FileBlobs blobs, UploadCompletion completion, ItemBackoff backoff, TimeProvider time, ILogger<Reconciliation> logger)
{
    public const int Budget = 2048;
    private const int Parallelism = 8;
    private const int PerShard = Budget / PendingEntity.Shards;

    private readonly (string Partition, string Row)?[] cursors = new (string, string)?[PendingEntity.Shards];

    /// <returns>How many reservations it completed (or settled).</returns>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var reservations = new ConcurrentBag<PendingEntity>();
        await Parallel.ForEachAsync(Enumerable.Range(0, PendingEntity.Shards), cancellationToken, async (shard, token) =>
        {
            var read = await tables.Pending.QueryAsync<PendingEntity>(PendingEntity.LiveFilter(shard, now, cursors[shard]), maxPerPage: PerShard, cancellationToken: token)
                .Take(PerShard).ToListAsync(token);
            cursors[shard] = read.Count == PerShard ? (read[^1].PartitionKey, read[^1].RowKey) : null;
            foreach (var row in read.Where(r => r.IsReservation && !backoff.IsWaiting(r.RowKey)))
                reservations.Add(row);
        });

        var completed = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(reservations.GroupBy(r => (r.UserId, r.TaskId)), options, async (task, token) =>
        {
            var uploaded = await blobs.NamesAsync(task.Key.UserId, task.Key.TaskId, token);
            foreach (var row in task)
            {
                var name = FileBlobs.Name(row.UserId, row.TaskId, row.FileId);
                if (uploaded.Contains(name) && await backoff.RunAsync(row.RowKey, $"file {row.FileId} of task {row.TaskId}", t => completion.HandleAsync(name, t), token))
                    Interlocked.Increment(ref completed);
            }
        });

        if (completed > 0)
            Completed(logger, completed, reservations.Count);
        return completed;
    }

    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Reconciliation completed {Completed} of {Pending} pending reservations")]
    private static partial void Completed(ILogger logger, int completed, int pending);
}
