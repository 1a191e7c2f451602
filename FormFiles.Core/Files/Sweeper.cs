using Azure;
using Azure.Data.Tables;
using FormFiles.Quota;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>
/// The sweep (design §7): settles every pending-index row that is due, oldest first, at most
/// <c>FormFiles:SweepBudget</c> a pass. It reads only the due minutes of the index, so its cost grows
/// with the due work, not with the live files. An item that fails is logged and backed off
/// (<see cref="ItemBackoff"/>), never stopping the pass. Every step is idempotent and every state change
/// conditional on an ETag, so a pass may stop anywhere, run again, or run on two instances at once.
/// <list type="bullet">
/// <item>expired reservations (created, in_progress) → deleted: blob, field slot and quota given back;</item>
/// <item>deleted or rejected files whose blob, quota, row or index row remains → finished;</item>
/// <item>reservations whose blob exists → completion;</item>
/// <item>index rows whose file row never came (an admission cut short) or went with its task → quota and blob released.</item>
/// </list>
/// </summary>
public sealed partial class Sweeper(Tables tables, FileBlobs blobs, QuotaLedger quota, FileRemoval removal, UploadCompletion completion, ItemBackoff backoff, TimeProvider time, IOptions<FormFilesOptions> options, ILogger<Sweeper> logger)
{
    /// <summary>Due items settled at once; they are independent, and each is guarded on its own.</summary>
    private const int Parallelism = 8;

    public enum Outcome
    {
        Expired,
        Finished,
        Completed,
        Released,
        NotYetDue,
        Failed,
    }

    public async Task<IReadOnlyDictionary<Outcome, int>> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var counts = Enum.GetValues<Outcome>().ToDictionary(o => o, _ => 0);
        var due = TableClient.CreateQueryFilter($"PartitionKey le {PendingEntity.Bucket(now)}");
        var rows = tables.Pending.QueryAsync<PendingEntity>(due, maxPerPage: 1000, cancellationToken: cancellationToken)
            .Where(row => !backoff.IsWaiting(row.FileId))
            .Take(options.Value.SweepBudget);
        await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (row, token) =>
        {
            var outcome = Outcome.Failed;
            await backoff.RunAsync(row.FileId, row.TaskId, async itemToken => outcome = await SettleAsync(row, now, itemToken), token);
            lock (counts)
                counts[outcome]++;
        });

        SweepLog.Pass(logger, counts[Outcome.Expired], counts[Outcome.Finished], counts[Outcome.Completed], counts[Outcome.Released], counts[Outcome.NotYetDue], counts[Outcome.Failed]);
        return counts;
    }

    private async Task<Outcome> SettleAsync(PendingEntity row, DateTimeOffset now, CancellationToken cancellationToken)
    {
        while (true)
        {
            var file = await tables.FindFileAsync(row.FileId, cancellationToken);
            if (file is null)
            {
                // No file row: its admission stopped before the reservation was written, or its task is gone.
                await blobs.DeleteAsync(FileBlobs.Name(row.UserId, row.TaskId, row.FileId), null, cancellationToken);
                await quota.ReleaseAsync(row.UserId, row.FileId, cancellationToken);
                await DeleteRowAsync(row, cancellationToken);
                SweepLog.Released(logger, row.FileId, row.TaskId);
                return Outcome.Released;
            }

            switch (file.State)
            {
                case FileStates.Deleted:
                case FileStates.Rejected:
                    await removal.FinishAsync(file, cancellationToken);
                    await ForgetAsync(row, file, cancellationToken);
                    return Outcome.Finished;
                case FileStates.Uploaded:
                    await completion.HandleAsync(file.BlobName, cancellationToken);
                    await ForgetAsync(row, file, cancellationToken);
                    return Outcome.Completed;
            }

            // A blob that landed in time is completed, even when its reservation expired since (a late event).
            var settled = await completion.HandleAsync(file.BlobName, cancellationToken) ?? file;
            if (!settled.AwaitsUpload)
            {
                await ForgetAsync(row, settled, cancellationToken);
                return Outcome.Completed;
            }

            if (settled.Expires >= now)
                return Outcome.NotYetDue; // An announcement that came to nothing, or this very minute.

            file = settled;
            if (await removal.TryMarkDeletedAsync(file, cancellationToken))
            {
                await removal.FinishAsync(file, cancellationToken);
                await ForgetAsync(row, file, cancellationToken);
                SweepLog.Expired(logger, file.Id, file.TaskId);
                return Outcome.Expired;
            }
        }
    }

    private Task DeleteRowAsync(PendingEntity row, CancellationToken cancellationToken) =>
        tables.Pending.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);

    /// <summary>Deletes an announcement row; a file's own expiry row went with its settlement already.</summary>
    private Task ForgetAsync(PendingEntity row, FileEntity file, CancellationToken cancellationToken) =>
        row.PartitionKey == PendingEntity.Bucket(file.Expires) ? Task.CompletedTask : DeleteRowAsync(row, cancellationToken);
}

internal static partial class SweepLog
{
    [LoggerMessage(EventId = 2200, Level = LogLevel.Information,
        Message = "Sweep: {Expired} expired, {Finished} deletions finished, {Completed} completed, {Released} orphans released, {NotYetDue} not yet due, {Failed} failed")]
    public static partial void Pass(ILogger logger, int expired, int finished, int completed, int released, int notYetDue, int failed);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Reservation {FileId} of task {TaskId} expired and was deleted")]
    public static partial void Expired(ILogger logger, long fileId, long taskId);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Information, Message = "File {FileId} of task {TaskId} had no row: its quota and blob were released")]
    public static partial void Released(ILogger logger, long fileId, long taskId);
}
