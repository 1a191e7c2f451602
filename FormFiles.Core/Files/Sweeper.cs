using Azure;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Azure.Data.Tables;
using FormFiles.Quota;
using FormFiles.Storage;
using FormFiles.Tasks;
using FormFiles.Telemetry;
using FormFiles.Webhooks;

namespace FormFiles.Files;

/// <summary>
/// The sweep (design §7): settles every pending-index row that is due, at most
/// <c>FormFiles:SweepBudget</c> a pass, reading the due minutes of all <see cref="PendingEntity.Shards"/>
/// shards at once and settling <see cref="Parallelism"/> items at a time, a task's items in one lane. Its cost grows with the due
/// work, not with the live files. An item that fails is logged and backed off (<see cref="ItemBackoff"/>),
/// never stopping the pass; storage that is gone ends the pass. Every step is idempotent and every state
/// change conditional on an ETag, so a pass may stop anywhere, run again, or run on two instances at once.
/// <list type="bullet">
/// <item>expired reservations (created, in_progress) → deleted: blob, field slot and quota given back;</item>
/// <item>deleted or rejected files whose blob, quota, row or index row remains → finished;</item>
/// <item>reservations whose blob exists → completion;</item>
/// <item>index rows whose file row never came (an admission cut short) or went with its task → quota and blob released;</item>
/// <item>task-list announcements left by a change that stopped half-way → the list copy repaired;</item>
/// <item>event announcements whose relay did not run → the outbox relayed.</item>
/// </list>
/// </summary>
public sealed partial class Sweeper(Tables tables, FileBlobs blobs, QuotaLedger quota, FileRemoval removal, UploadCompletion completion, TaskStore tasks, WebhookRelay relay, ItemBackoff backoff, TimeProvider time, IOptions<FormFilesOptions> options, ILogger<Sweeper> logger)
{
    /// <summary>Due items settled at once; they are independent, and each is guarded on its own.</summary>
    private const int Parallelism = 32;

    public enum Outcome
    {
        Expired,
        Finished,
        Completed,
        Released,
        Repaired,
        Relayed,
        NotYetDue,
        Failed,
    }

    public async Task<SweepPass> RunAsync(CancellationToken cancellationToken)
    {
        using var activity = Lifecycle.Start("sweep");
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var counts = Enum.GetValues<Outcome>().ToDictionary(o => o, _ => 0);
        var budget = options.Value.SweepBudget;
        var taken = 0;
        DateTimeOffset? oldest = null;
        // One lane per worker, chosen by task: a task's rows are settled one after another, so workers
        // never race each other for a task row (its field slots), and different tasks go in parallel.
        var lanes = Enumerable.Range(0, Parallelism).Select(_ => Channel.CreateBounded<PendingEntity>(64)).ToArray();
        using var pass = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var readers = Task.Run(async () =>
        {
            Exception? failure = null;
            try
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, PendingEntity.Shards), pass.Token, async (shard, token) =>
                {
                    await foreach (var row in tables.Pending.QueryAsync<PendingEntity>(PendingEntity.DueFilter(shard, now), maxPerPage: 1000, cancellationToken: token))
                    {
                        if (Key(row) is var key && backoff.IsWaiting(key))
                            continue;
                        if (Interlocked.Increment(ref taken) > budget)
                            return;
                        var dueAt = row.Due;
                        lock (counts)
                            oldest = oldest is { } seen && seen <= dueAt ? seen : dueAt;
                        await lanes[(int)((ulong)row.TaskId % Parallelism)].Writer.WriteAsync(row, token);
                    }
                });
            }
            catch (Exception e)
            {
                failure = e;
            }

            foreach (var lane in lanes)
                lane.Writer.TryComplete(failure);
        }, CancellationToken.None);

        var workers = lanes.Select(lane => Task.Run(async () =>
        {
            try
            {
                await foreach (var row in lane.Reader.ReadAllAsync(pass.Token))
                {
                    var outcome = Outcome.Failed;
                    using var ids = Lifecycle.Scope(logger, row.UserId, row.TaskId, row.FileId == 0 ? null : row.FileId);
                    await backoff.RunAsync(Key(row), Describe(row),
                        async itemToken => outcome = await SettleAsync(row, now, itemToken), pass.Token);
                    lock (counts)
                        counts[outcome]++;
                }
            }
            catch
            {
                await pass.CancelAsync(); // Storage is gone (or the host stops): the other lanes and the readers stop too.
                throw;
            }
        }, CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(workers);
        }
        catch (OperationCanceledException) when (workers.Select(w => w.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException) is { } cause)
        {
            ExceptionDispatchInfo.Throw(cause); // What stopped the pass, not a lane that stopped because of it.
        }
        finally
        {
            await pass.CancelAsync();
            await readers;
        }

        var done = new SweepPass(counts, oldest, Math.Min(taken, budget) >= budget, time.GetElapsedTime(started));
        activity?.SetTag("formfiles.sweep.items", counts.Values.Sum());
        SweepLog.Pass(logger, counts[Outcome.Expired], counts[Outcome.Finished], counts[Outcome.Completed], counts[Outcome.Released], counts[Outcome.Repaired], counts[Outcome.Relayed],
            counts[Outcome.NotYetDue], counts[Outcome.Failed], done.Settled / Math.Max(done.Elapsed.TotalSeconds, 0.001), oldest, done.BudgetSpent);
        return done;
    }

    /// <summary>The backoff key of a row: its row key (a file id, or the kind of announcement and its task id).</summary>
    private static string Key(PendingEntity row) => row.RowKey;

    private static string Describe(PendingEntity row) =>
        row.IsTask ? $"task-list copy of task {row.TaskId}" : row.IsRelay ? $"events of task {row.TaskId}" : $"file {row.FileId} of task {row.TaskId}";

    private Task<Outcome> SettleAsync(PendingEntity row, DateTimeOffset now, CancellationToken cancellationToken) =>
        Contention.RetryAsync(async () => row.IsTask ? (true, await RepairAsync(row, cancellationToken))
            : row.IsRelay ? (true, await RelayAsync(row, cancellationToken))
            : await SettleFileAsync(row, now, cancellationToken), cancellationToken);

    private async Task<Outcome> RelayAsync(PendingEntity row, CancellationToken cancellationToken)
    {
        await relay.RelayAsync(row, cancellationToken);
        return Outcome.Relayed;
    }

    private async Task<Outcome> RepairAsync(PendingEntity row, CancellationToken cancellationToken)
    {
        await tasks.RepairListingAsync(row, cancellationToken);
        return Outcome.Repaired;
    }

    /// <returns>Not done when the file changed under the sweep: it looks again.</returns>
    private async Task<(bool Done, Outcome Outcome)> SettleFileAsync(PendingEntity row, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var file = await tables.FindFileAsync(row.TaskId, row.FileId, cancellationToken);
        if (file is null)
        {
            // No file row: its admission stopped before the reservation was written, or its task is gone. Its id is sealed
            // first, so that a stalled admission cannot land; its quota goes; its name stays a tombstone, under a name row,
            // until any upload SAS for it has expired, and goes after.
            if (!await tasks.SealFileIdAsync(row.TaskId, row.FileId, cancellationToken) || await tables.FindFileAsync(row.TaskId, row.FileId, cancellationToken) is not null)
                return (false, Outcome.Failed); // The admission landed meanwhile, or the task changed: look again.
            await quota.ReleaseAsync(row.UserId, row.FileId, cancellationToken);
            var name = FileBlobs.Name(row.UserId, row.TaskId, row.FileId);
            if (now < row.Expires + FileBlobs.ClockSkew)
            {
                if (row.RowKey == PendingEntity.NameRowKey(row.FileId))
                    return (true, Outcome.NotYetDue);
                await blobs.ClearAsync(name, Guid.NewGuid().ToString(), cancellationToken);
                await tables.Pending.UpsertEntityAsync(PendingEntity.ForName(row), TableUpdateMode.Replace, cancellationToken);
            }
            else
            {
                await blobs.PurgeAsync(name, null, cancellationToken);
            }

            await DeleteRowAsync(row, cancellationToken);
            SweepLog.Released(logger, row.FileId, row.TaskId);
            return (true, Outcome.Released);
        }

        switch (file.State)
        {
            case FileStates.Deleted:
            case FileStates.Rejected:
                await removal.FinishAsync(file, cancellationToken);
                if ((IsExpiryRow(row, file) || row.RowKey == PendingEntity.NameRowKey(file.Id)) && file.CredentialsLive(now))
                    return (true, Outcome.NotYetDue); // Its upload name stays a tombstone, and this row with it, until its SAS has expired.
                await ForgetAsync(row, file, cancellationToken);
                return (true, Outcome.Finished);
            case FileStates.Uploaded when file.IsAttachment() && !file.Submitted && completion.UnattachedDeadline(file) <= now:
                // An attachment uploaded and never attached: it goes once FormFiles:UnattachedTtl has passed.
                return await DeleteAsync(row, file, EventTypes.FileDeleted, DeleteReasons.Unattached, cancellationToken);
        }

        if (!IsExpiryRow(row, file) && !file.IsAttachment() && await tasks.FormOfAsync(file.TaskId, cancellationToken) != file.FormId)
        {
            // Announced by a deletion of its form (or task) that committed and stopped before it marked every file: it goes too.
            return await DeleteAsync(row, file, EventTypes.FileDeleted, DeleteReasons.FormDeleted, cancellationToken, ofGoneForm: true);
        }

        if (file.State == FileStates.Uploaded)
        {
            await completion.HandleAsync(file.BlobName, cancellationToken);
            if (file.IsAttachment() && !file.Submitted && row.RowKey == Tables.Key(file.Id) && row.PartitionKey == PendingEntity.Partition(completion.UnattachedDeadline(file), file.TaskId))
                return (true, Outcome.NotYetDue); // The row of its unattached deadline stays until then.
            await ForgetAsync(row, file, cancellationToken);
            return (true, Outcome.Completed);
        }

        // A blob that landed in time is completed, even when its reservation expired since (a late event).
        var settled = await completion.HandleAsync(file.BlobName, cancellationToken) ?? file;
        if (settled.State is FileStates.Deleted or FileStates.Rejected)
            return (false, Outcome.Failed); // Deleted meanwhile (a write that landed after its caller gave up, too): settle it as such.
        if (!settled.AwaitsUpload)
        {
            await ForgetAsync(row, settled, cancellationToken);
            return (true, Outcome.Completed);
        }

        if (settled.Expires >= now)
            return (true, Outcome.NotYetDue); // An announcement that came to nothing, or this very minute.

        return await DeleteAsync(row, settled, EventTypes.FileExpired, null, cancellationToken);
    }

    /// <summary>Marks the file deleted (with its event), finishes it and settles the row; not done when the file changed meanwhile.</summary>
    private async Task<(bool Done, Outcome Outcome)> DeleteAsync(PendingEntity row, FileEntity file, string eventType, string? reason, CancellationToken cancellationToken, bool ofGoneForm = false)
    {
        if (!await removal.TryMarkDeletedAsync(file, eventType, reason, cancellationToken, ofGoneForm: ofGoneForm))
            return (false, Outcome.Failed);
        await removal.FinishAsync(file, cancellationToken);
        await ForgetAsync(row, file, cancellationToken);
        SweepLog.Deleted(logger, file.Id, file.TaskId, reason ?? eventType);
        return (true, Outcome.Expired);
    }

    private Task DeleteRowAsync(PendingEntity row, CancellationToken cancellationToken) =>
        tables.Pending.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);

    /// <summary>Deletes an announcement or deadline row; a file's own expiry row goes with its settlement (or stays, for its tombstone).</summary>
    private Task ForgetAsync(PendingEntity row, FileEntity file, CancellationToken cancellationToken) =>
        IsExpiryRow(row, file) ? Task.CompletedTask : DeleteRowAsync(row, cancellationToken);

    private static bool IsExpiryRow(PendingEntity row, FileEntity file) =>
        row.RowKey == Tables.Key(file.Id) && row.PartitionKey == PendingEntity.ExpiryPartition(file);
}

internal static partial class SweepLog
{
    [LoggerMessage(EventId = 2200, Level = LogLevel.Information,
        Message = "Sweep: {Expired} expired, {Finished} deletions finished, {Completed} completed, {Released} orphans released, {Repaired} list copies repaired, {Relayed} event batches relayed, {NotYetDue} not yet due, {Failed} failed; {ItemsPerSecond:F0} items/s; oldest due {OldestDue:o}; budget spent: {BudgetSpent}")]
    public static partial void Pass(ILogger logger, int expired, int finished, int completed, int released, int repaired, int relayed, int notYetDue, int failed, double itemsPerSecond, DateTimeOffset? oldestDue, bool budgetSpent);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "File {FileId} of task {TaskId} was deleted by the sweep ({Reason})")]
    public static partial void Deleted(ILogger logger, long fileId, long taskId, string reason);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Information, Message = "File {FileId} of task {TaskId} had no row: its quota and blob were released")]
    public static partial void Released(ILogger logger, long fileId, long taskId);
}

/// <summary>What one sweep pass did: items per outcome, the oldest due item it saw (its backlog), whether it stopped at its budget, and how long it took.</summary>
public sealed record SweepPass(IReadOnlyDictionary<Sweeper.Outcome, int> Counts, DateTimeOffset? OldestDue, bool BudgetSpent, TimeSpan Elapsed)
{
    public int Settled => Counts.Where(c => c.Key is not Sweeper.Outcome.NotYetDue and not Sweeper.Outcome.Failed).Sum(c => c.Value);
}
