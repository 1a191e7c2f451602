using System.Threading.Channels;
using Azure;
using Azure.Data.Tables;
using FormFiles.Files;
using FormFiles.Storage;
using Microsoft.Extensions.Hosting;

namespace FormFiles.Webhooks;

/// <summary>
/// Moves outbox rows to delivery. A change that records events first announces the relay in the
/// pending index (RK <c>relay-{task id}</c>, due in <see cref="Grace"/>), then commits change and outbox
/// together, then signals this relay, which runs at once in the background. If the process stops before
/// the relay, the sweep finds the announcement and relays. Relaying is idempotent: a delivery's key
/// comes from its event, and an outbox row is deleted only after every delivery of it is queued.
/// </summary>
public sealed partial class WebhookRelay(Tables tables, WebhookStore webhooks, WebhookDeliveries deliveries, TimeProvider time, ILogger<WebhookRelay> logger) : BackgroundService
{
    /// <summary>Longer than any commit can take (the SDK's retries included), so the sweep never relays before the change it announces has committed.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(10);

    private readonly Channel<PendingEntity> committed = Channel.CreateUnbounded<PendingEntity>();

    /// <summary>
    /// The outbox row for <paramref name="events"/> of a change about to commit, after announcing the relay;
    /// null (and nothing written) when the user has no endpoint. Which endpoints want which events is
    /// decided when relaying.
    /// </summary>
    public async Task<Recorded?> RecordAsync(long userId, long taskId, IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0 || !await webhooks.HasEndpointsAsync(userId, cancellationToken))
            return null;
        var announcement = PendingEntity.ForRelay(userId, taskId, time.GetUtcNow() + Grace);
        announcement.ETag = (await tables.Pending.UpsertEntityAsync(announcement, TableUpdateMode.Replace, cancellationToken)).Headers.ETag ?? ETag.All;
        var outbox = Outbox.Row(Tables.Key(taskId), events);
        return new Recorded(new TableTransactionAction(TableTransactionActionType.Add, outbox), outbox, announcement);
    }

    /// <summary>After the change committed: relay now.</summary>
    public void Committed(Recorded? recorded)
    {
        if (recorded is not null)
            committed.Writer.TryWrite(recorded.Announcement);
    }

    /// <summary>Queues every outbox row of the announced task to the endpoints that want its events, then deletes the rows and the announcement (as read).</summary>
    public async Task RelayAsync(PendingEntity announcement, CancellationToken cancellationToken)
    {
        var rows = await tables.Tasks.QueryAsync<TableEntity>(Outbox.Filter(Tables.Key(announcement.TaskId)), cancellationToken: cancellationToken).ToListAsync(cancellationToken);
        if (rows.Count > 0)
        {
            var endpoints = await webhooks.ListAsync(announcement.UserId, cancellationToken);
            foreach (var row in rows)
            {
                foreach (var @event in Outbox.Read(row))
                {
                    foreach (var endpoint in endpoints.Where(e => e.Wants(@event.Type)))
                        await deliveries.EnqueueAsync(endpoint, @event, cancellationToken);
                }

                await tables.Tasks.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
            }

            deliveries.Wake();
        }

        try
        {
            await tables.Pending.DeleteEntityAsync(announcement.PartitionKey, announcement.RowKey, announcement.ETag, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            // Announced again by a later change: that one relays its own rows.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var announcement in committed.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await RelayAsync(announcement, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                RelayFailed(logger, e, announcement.TaskId); // The announcement stays: the sweep relays it.
            }
        }
    }

    [LoggerMessage(EventId = 2610, Level = LogLevel.Warning, Message = "Relaying the events of task {TaskId} failed; the sweep relays them")]
    private static partial void RelayFailed(ILogger logger, Exception exception, long taskId);

    /// <summary>An outbox row to add to the change's transaction, and the relay announcement written for it.</summary>
    /// <remarks><see cref="Row"/> is written by this change alone: the witness of its transaction (<see cref="StampedWrites"/>).</remarks>
    public sealed record Recorded(TableTransactionAction Outbox, TableEntity Row, PendingEntity Announcement);
}

/// <summary>The runner of due deliveries: every <c>FormFiles:Webhooks:PollInterval</c>, or at once when woken.</summary>
public sealed partial class WebhookRunner(WebhookDeliveries deliveries, IOptions<FormFilesOptions> options, ILogger<WebhookRunner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await deliveries.RunDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                PassFailed(logger, e);
            }

            await deliveries.WaitAsync(options.Value.Webhooks.PollInterval, stoppingToken);
        }
    }

    [LoggerMessage(EventId = 2620, Level = LogLevel.Warning, Message = "Looking for due webhook deliveries failed; the next poll tries again")]
    private static partial void PassFailed(ILogger logger, Exception exception);
}
