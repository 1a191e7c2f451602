using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;

namespace FormFiles.Health;

/// <summary>
/// When the sweep last completed a pass, shared by every instance: one row (table <c>maintenance</c>,
/// PK <c>sweep</c>, RK <c>last</c>) that only moves forward. A pass writes it conditionally on the ETag it
/// read, and only with a later time, so two instances, a retried write, or a host on an older clock never
/// move it back. This instance's start and its last pass's backlog are kept in memory beside it.
/// </summary>
public sealed class SweepRecord(Tables tables, TimeProvider time)
{
    private const string Partition = "sweep";
    private const string Row = "last";
    private const string Completed = "Completed";

    /// <summary>When this instance started (the time it may take before a first pass is due counts from here).</summary>
    public DateTimeOffset InstanceStart { get; } = time.GetUtcNow();

    /// <summary>Due items the last pass of this instance left pending (not yet due, or failed and backed off); null before its first pass.</summary>
    public int? PendingAfterLastPass { get; private set; }

    /// <summary>
    /// Records a completed pass. It tries until the row holds this time or a later one: every write it loses
    /// on the ETag was another pass's, and the row only moves forward, so the writers it can lose to run out.
    /// </summary>
    public async Task RecordAsync(int pending, CancellationToken cancellationToken)
    {
        PendingAfterLastPass = pending;
        var completed = time.GetUtcNow();
        while (true)
        {
            var stored = await tables.Maintenance.GetEntityIfExistsAsync<TableEntity>(Partition, Row, cancellationToken: cancellationToken);
            if (stored.HasValue && stored.Value!.GetDateTimeOffset(Completed) >= completed)
                return; // A later pass (or this write, retried) is already there.
            var row = new TableEntity(Partition, Row) { [Completed] = completed };
            var written = stored.HasValue
                ? await tables.Maintenance.TryUpdateAsync(row, stored.Value!.ETag, cancellationToken)
                : await tables.Maintenance.TryAddAsync(row, cancellationToken);
            if (written)
                return;
        }
    }

    /// <summary>When any instance last completed a pass; null when none ever did.</summary>
    public async Task<DateTimeOffset?> LastCompletedAsync(CancellationToken cancellationToken)
    {
        var stored = await tables.Maintenance.GetEntityIfExistsAsync<TableEntity>(Partition, Row, [Completed], cancellationToken);
        return stored.HasValue ? stored.Value!.GetDateTimeOffset(Completed) : null;
    }

    /// <summary>
    /// Whether the sweep is late: more than three intervals since the last pass any instance completed; with
    /// none ever (a fresh deployment), since this instance started.
    /// </summary>
    public static bool IsLate(DateTimeOffset? lastCompleted, DateTimeOffset instanceStart, DateTimeOffset now, TimeSpan interval) =>
        now - (lastCompleted ?? instanceStart) > 3 * interval;
}
