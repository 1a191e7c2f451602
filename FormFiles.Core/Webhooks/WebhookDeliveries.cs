using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Azure;
using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Storage;

namespace FormFiles.Webhooks;

/// <summary>
/// Deliveries: one row per event and endpoint (table <c>deliveries</c>, PK webhook id, RK newest
/// first), and a due index (<c>deliveriesdue</c>, PK <c>{shard}-{minute}</c>) that says when each
/// pending one is tried next. A delivery is claimed by moving its next attempt past the attempt's
/// timeout, conditional on its ETag, so two instances never send it at once, and a crash mid-attempt
/// only delays it. Attempts run detached, at most <see cref="PerEndpoint"/> per endpoint and
/// <see cref="Parallelism"/> in all: a slow or dead endpoint holds its own two slots, nobody else's,
/// and after a failure it cools off (its rows are passed over) until that delivery's retry.
/// </summary>
public sealed partial class WebhookDeliveries(
    Tables tables, WebhookStore webhooks, WebhookSender sender, DeliveryRetention retention, Telemetry.FormFilesMetrics metrics, IOptions<FormFilesOptions> options, TimeProvider time, ILogger<WebhookDeliveries> logger)
{
    public const int PerEndpoint = 2;
    private const int Parallelism = 256;
    private const int Shards = 8;
    private const int Budget = 2000;
    private const int ScanLimit = 20_000;
    private static readonly TimeSpan ClaimMargin = TimeSpan.FromSeconds(30);

    /// <summary>The longest an endpoint is passed over after a failed attempt (its deliveries keep their own retry times).</summary>
    private static readonly TimeSpan LongestCooling = TimeSpan.FromSeconds(30);

    /// <summary>How old a due row without its delivery must be before it is taken for one whose add never landed.</summary>
    private static readonly TimeSpan OrphanAge = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<long, SemaphoreSlim> endpointSlots = new();
    private readonly ConcurrentDictionary<long, DateTimeOffset> coolingUntil = new();
    private readonly SemaphoreSlim slots = new(Parallelism);
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private WebhookOptions Options => options.Value.Webhooks;

    /// <summary>Queues <paramref name="event"/> to <paramref name="endpoint"/>, due now. Repeating it changes nothing: the row key comes from the event.</summary>
    public async Task EnqueueAsync(WebhookEntity endpoint, WebhookEvent @event, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var delivery = new TableEntity(Tables.Key(endpoint.Id), DeliveryRow(@event))
        {
            ["UserId"] = endpoint.UserId,
            ["WebhookId"] = endpoint.Id,
            ["EventId"] = @event.Id,
            ["Type"] = @event.Type,
            ["Status"] = DeliveryStatus.Pending,
            ["Attempts"] = 0,
            ["NextAttempt"] = now,
            ["DuePartition"] = DuePartition(endpoint.Id, now),
        };
        Outbox.Write(delivery, @event.Body());

        // The due and expiry rows first: a delivery is never without them (either without its delivery is dropped when read).
        await tables.DeliveriesDue.UpsertEntityAsync(DueEntity(endpoint.UserId, endpoint.Id, delivery.RowKey, DuePartition(endpoint.Id, now)), TableUpdateMode.Replace, cancellationToken);
        await retention.RecordAsync(endpoint.Id, delivery.RowKey, now, cancellationToken);
        try
        {
            // With its point lookup by event id, in the same transaction.
            await tables.Deliveries.SubmitTransactionAsync(
            [
                new(TableTransactionActionType.Add, delivery),
                new(TableTransactionActionType.Add, new TableEntity(delivery.PartitionKey, DeliveryRetention.EventRow(delivery.RowKey)) { ["Delivery"] = delivery.RowKey }),
            ], cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            // Queued already: by an earlier relay of the same outbox row, or this add's own retry.
        }
    }

    /// <summary>Lets the runner look for due deliveries now.</summary>
    public void Wake() => wake.Writer.TryWrite(true);

    /// <summary>Waits for <see cref="Wake"/> or <paramref name="interval"/>, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(interval);
        try
        {
            await wake.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The interval passed.
        }
    }

    /// <summary>
    /// Starts workers for the due deliveries of every endpoint that has a free slot and is not cooling
    /// off after a failure; returns how many it started. Rows of busy or cooling endpoints are passed
    /// over without counting against the budget, so one endpoint's backlog hides nobody else's.
    /// </summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = new ConcurrentBag<TableEntity>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Shards), cancellationToken, async (shard, token) =>
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey ge {$"{shard:x1}-"} and PartitionKey le {$"{shard:x1}-{Minute(now)}"}");
            var taken = 0;
            await foreach (var row in tables.DeliveriesDue.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: token).Take(ScanLimit / Shards))
            {
                if (!IsAvailable(row.GetInt64("WebhookId") ?? 0, now))
                    continue;
                due.Add(row);
                if (++taken == Budget / Shards)
                    break;
            }
        });

        var started = 0;
        foreach (var endpoint in due.GroupBy(row => (UserId: row.GetInt64("UserId") ?? 0, WebhookId: row.GetInt64("WebhookId") ?? 0)))
        {
            var queue = new ConcurrentQueue<TableEntity>(endpoint);
            for (var worker = 0; worker < PerEndpoint && !queue.IsEmpty; worker++)
            {
                if (TryStart(endpoint.Key.UserId, endpoint.Key.WebhookId, queue))
                    started++;
            }
        }

        return started;
    }

    /// <summary>
    /// The webhook backlog: how many deliveries are undelivered (due now or retried later), and when the oldest
    /// of their events happened (its time is in the delivery's row key). It reads the due index's rows, at most
    /// <paramref name="limit"/> a shard, so a huge backlog is counted up to that.
    /// </summary>
    public async Task<(int Undelivered, DateTimeOffset? OldestEvent)> BacklogAsync(int limit, CancellationToken cancellationToken)
    {
        var shards = await Task.WhenAll(Enumerable.Range(0, Shards).Select(async shard =>
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey ge {$"{shard:x1}-"} and PartitionKey lt {$"{shard:x1}."}");
            var (count, oldest) = (0, (DateTimeOffset?)null);
            await foreach (var row in tables.DeliveriesDue.QueryAsync<TableEntity>(filter, maxPerPage: limit, select: ["Delivery"], cancellationToken: cancellationToken).Take(limit))
            {
                count++;
                if (EventTime(row.TryGetValue("Delivery", out var delivery) ? delivery as string : null) is { } at && !(oldest <= at))
                    oldest = at;
            }

            return (count, oldest);
        }));
        return (shards.Sum(s => s.count), shards.Select(s => s.oldest).Min());
    }

    /// <summary>The event time a delivery's row key starts with (<see cref="DeliveryRow"/>), or null for a row key of another shape.</summary>
    private static DateTimeOffset? EventTime(string? deliveryRow) =>
        deliveryRow is { Length: > 19 } && long.TryParse(deliveryRow.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var inverted)
        && long.MaxValue - inverted is var ticks and >= 0 and <= 3155378975999999999 // DateTime.MaxValue.Ticks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : null;

    private bool IsAvailable(long webhookId, DateTimeOffset now)
    {
        if (coolingUntil.TryGetValue(webhookId, out var until))
        {
            if (until > now)
                return false;
            coolingUntil.TryRemove(webhookId, out _);
        }

        return !(endpointSlots.TryGetValue(webhookId, out var slot) && slot.CurrentCount == 0);
    }

    /// <summary>
    /// Starts a worker, detached, that attempts the endpoint's due deliveries one after another until one
    /// fails (the endpoint then cools off until that delivery's retry; the rest stay due); false when the
    /// endpoint or the runner has no free slot.
    /// </summary>
    private bool TryStart(long userId, long webhookId, ConcurrentQueue<TableEntity> due)
    {
        var endpointSlot = endpointSlots.GetOrAdd(webhookId, _ => new SemaphoreSlim(PerEndpoint));
        if (!endpointSlot.Wait(0))
            return false;
        if (!slots.Wait(0))
        {
            endpointSlot.Release();
            return false;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                while (due.TryDequeue(out var dueRow))
                {
                    try
                    {
                        var outcome = await AttemptAsync(userId, webhookId, dueRow, CancellationToken.None);
                        if (outcome is { Succeeded: true })
                            coolingUntil.TryRemove(webhookId, out _);
                        if (outcome is { Succeeded: false } failed)
                        {
                            // The endpoint is passed over for a while; what this scan found for it moves out of the others' way.
                            var until = failed.RetryAt < failed.At + LongestCooling ? failed.RetryAt : failed.At + LongestCooling;
                            coolingUntil[webhookId] = until;
                            while (due.TryDequeue(out var deferred))
                                await DeferAsync(webhookId, deferred, until, CancellationToken.None);
                            break;
                        }
                    }
                    catch (Exception e)
                    {
                        AttemptFailed(logger, e, webhookId, dueRow.GetString("Delivery")!); // Storage failed around the attempt: the row stays due.
                        break;
                    }
                }
            }
            finally
            {
                slots.Release();
                endpointSlot.Release();
            }
        }, CancellationToken.None);
        return true;
    }

    /// <returns>The attempt's outcome, or null when no attempt was made (not due, claimed elsewhere, gone).</returns>
    private async Task<Outcome?> AttemptAsync(long userId, long webhookId, TableEntity dueRow, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Lifecycle.Start("webhook delivery", userId);
        activity?.SetTag("formfiles.webhook_id", webhookId);
        using var scope = Telemetry.Lifecycle.Scope(logger, userId);
        var now = time.GetUtcNow();
        var deliveryRow = dueRow.GetString("Delivery")!;
        var stored = await tables.Deliveries.GetEntityIfExistsAsync<TableEntity>(Tables.Key(webhookId), deliveryRow, cancellationToken: cancellationToken);
        if (!stored.HasValue && dueRow.Timestamp > now - OrphanAge)
            return null; // Its delivery may still be on its way (the due row goes first, and an add can take its retries).
        if (!stored.HasValue || stored.Value!.GetString("Status") != DeliveryStatus.Pending || stored.Value.GetString("DuePartition") != dueRow.PartitionKey)
        {
            // No delivery (its add never landed, or its endpoint went), or settled, or due elsewhere now: this due row is stale.
            await tables.DeliveriesDue.DeleteEntityAsync(dueRow.PartitionKey, dueRow.RowKey, dueRow.ETag, cancellationToken);
            return null;
        }

        var delivery = stored.Value;
        if (delivery.GetDateTimeOffset("NextAttempt") > now)
            return null; // Claimed by another attempt, or not yet due.
        TagEvent(delivery);

        var endpoint = await webhooks.FindAsync(userId, webhookId, cancellationToken);
        if (endpoint is null)
        {
            // Deleted with its endpoint.
            await tables.Deliveries.DeleteEntityAsync(delivery.PartitionKey, delivery.RowKey, ETag.All, cancellationToken);
            await tables.Deliveries.DeleteEntityAsync(delivery.PartitionKey, DeliveryRetention.EventRow(delivery.RowKey), ETag.All, cancellationToken);
            await tables.DeliveriesDue.DeleteEntityAsync(dueRow.PartitionKey, dueRow.RowKey, ETag.All, cancellationToken);
            return null;
        }

        // The claim: nobody else attempts it until this attempt has surely ended.
        delivery["NextAttempt"] = delivery["ClaimedUntil"] = now + Options.Timeout + ClaimMargin;
        try
        {
            delivery.ETag = (await tables.Deliveries.UpdateEntityAsync(delivery, delivery.ETag, TableUpdateMode.Replace, cancellationToken)).Headers.ETag ?? ETag.All;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return null;
        }

        var attempt = !endpoint.Enabled
            ? new DeliveryAttempt(now, null, $"the endpoint is disabled: {endpoint.DisabledReason}")
            : !Options.AllowPrivateTargets && endpoint.Url.StartsWith("http:", StringComparison.OrdinalIgnoreCase)
                ? new DeliveryAttempt(now, null, "Refused: plain http is allowed only with FormFiles:Webhooks:AllowPrivateTargets")
                : await sender.SendAsync(endpoint, delivery.GetString("EventId")!, Outbox.Payload(delivery), cancellationToken);
        return await RecordAsync(endpoint, delivery, dueRow, attempt, cancellationToken);
    }

    /// <summary>The delivery's activity gets the task and file ids its event names.</summary>
    private static void TagEvent(TableEntity delivery)
    {
        JsonNode? payload;
        try
        {
            payload = JsonNode.Parse(Outbox.Payload(delivery));
        }
        catch (System.Text.Json.JsonException)
        {
            return; // Not for the tags to stop: the attempt sends what it has.
        }

        if (payload?["data"] is JsonObject data)
        {
            var isFile = delivery.GetString("Type")?.StartsWith("file.", StringComparison.Ordinal) == true;
            Telemetry.Lifecycle.Tag(null, Id(data["task_id"]), isFile ? Id(data["id"]) : null);
        }

        static long? Id(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var id) ? id : null;
    }

    /// <summary>Moves a due delivery that was not attempted to <paramref name="until"/>, unless it changed meanwhile (claimed, retried, settled).</summary>
    private async Task DeferAsync(long webhookId, TableEntity dueRow, DateTimeOffset until, CancellationToken cancellationToken)
    {
        try
        {
            var stored = await tables.Deliveries.GetEntityIfExistsAsync<TableEntity>(Tables.Key(webhookId), dueRow.GetString("Delivery")!, cancellationToken: cancellationToken);
            if (!stored.HasValue || stored.Value!.GetString("Status") != DeliveryStatus.Pending || stored.Value.GetString("DuePartition") != dueRow.PartitionKey
                || stored.Value.GetDateTimeOffset("NextAttempt") > until)
                return;
            var delivery = stored.Value;
            delivery["NextAttempt"] = until;
            delivery["DuePartition"] = DuePartition(webhookId, until);
            if (delivery.GetString("DuePartition") == dueRow.PartitionKey)
                return; // The same minute: it stays where it is, and the cooling passes it over.
            await tables.DeliveriesDue.UpsertEntityAsync(DueEntity(delivery.GetInt64("UserId") ?? 0, webhookId, delivery.RowKey, delivery.GetString("DuePartition")!), TableUpdateMode.Replace, cancellationToken);
            await tables.Deliveries.UpdateEntityAsync(delivery, delivery.ETag, TableUpdateMode.Replace, cancellationToken);
            await tables.DeliveriesDue.DeleteEntityAsync(dueRow.PartitionKey, dueRow.RowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Changed meanwhile: whoever changed it placed its due row.
        }
    }

    /// <summary>What an attempt came to: whether it succeeded, and when its delivery is tried again (if it is).</summary>
    private sealed record Outcome(bool Succeeded, DateTimeOffset At, DateTimeOffset RetryAt);

    /// <summary>
    /// The attempt's outcome on the delivery (conditional on the claim: a retry asked for meanwhile wins),
    /// its due rows and the endpoint.
    /// </summary>
    private async Task<Outcome> RecordAsync(WebhookEntity endpoint, TableEntity delivery, TableEntity dueRow, DeliveryAttempt attempt, CancellationToken cancellationToken)
    {
        var attempts = (delivery.GetInt32("Attempts") ?? 0) + 1;
        var schedule = Options.Schedule;
        var retryAt = attempt.Succeeded || attempt.Gone || !endpoint.Enabled || attempts >= schedule.Count
            ? (DateTimeOffset?)null
            : attempt.At + schedule[attempts] * (1 + (Random.Shared.NextDouble() / 10));
        delivery["Attempts"] = attempts;
        delivery["LastAttempt"] = attempt.At;
        delivery["LastStatusCode"] = attempt.StatusCode;
        delivery["LastError"] = attempt.Error;
        delivery["Status"] = attempt.Succeeded ? DeliveryStatus.Delivered : retryAt is null ? DeliveryStatus.Failed : DeliveryStatus.Pending;
        delivery["NextAttempt"] = retryAt;
        delivery["ClaimedUntil"] = null;
        delivery["DuePartition"] = retryAt is { } next ? DuePartition(endpoint.Id, next) : null;
        if (retryAt is { } due)
            await tables.DeliveriesDue.UpsertEntityAsync(DueEntity(endpoint.UserId, endpoint.Id, delivery.RowKey, DuePartition(endpoint.Id, due)), TableUpdateMode.Replace, cancellationToken);
        try
        {
            await tables.Deliveries.UpdateEntityAsync(delivery, delivery.ETag, TableUpdateMode.Replace, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // A retry was asked for meanwhile (or the endpoint went): that state, and its due row, stand.
            Attempted(logger, endpoint.Id, delivery.GetString("EventId")!, attempts, attempt.StatusCode, attempt.Error, "superseded");
            metrics.Delivered("superseded");
            return new Outcome(attempt.Succeeded, attempt.At, attempt.At);
        }

        if (dueRow.PartitionKey != (string?)delivery["DuePartition"])
            await tables.DeliveriesDue.DeleteEntityAsync(dueRow.PartitionKey, dueRow.RowKey, ETag.All, cancellationToken);
        Attempted(logger, endpoint.Id, delivery.GetString("EventId")!, attempts, attempt.StatusCode, attempt.Error, (string)delivery["Status"]);
        metrics.Delivered((string)delivery["Status"] == DeliveryStatus.Pending ? "retrying" : (string)delivery["Status"]);
        await TrackEndpointAsync(endpoint, attempt, cancellationToken);
        return new Outcome(attempt.Succeeded, attempt.At, retryAt ?? attempt.At);
    }

    /// <summary>A success clears the endpoint's failing streak; a 410, or failing everything for <c>DisableAfter</c>, disables it.</summary>
    private async Task TrackEndpointAsync(WebhookEntity endpoint, DeliveryAttempt attempt, CancellationToken cancellationToken)
    {
        if (!endpoint.Enabled || (attempt.Succeeded && endpoint.FailingSince is null))
            return;
        await webhooks.UpdateAsync(endpoint.UserId, endpoint.Id, stored =>
        {
            if (attempt.Succeeded)
                stored.FailingSince = null;
            else if (attempt.Gone)
                (stored.Enabled, stored.DisabledReason) = (false, "the endpoint answered 410 Gone");
            else
            {
                stored.FailingSince ??= attempt.At;
                if (attempt.At - stored.FailingSince >= Options.DisableAfter)
                    (stored.Enabled, stored.DisabledReason) = (false, $"every attempt failed for {Options.DisableAfter.TotalDays:0.#} days");
            }
        }, cancellationToken);
    }

    /// <summary>A page of an endpoint's deliveries, newest first, after <paramref name="after"/> (a previous page's <c>next</c>), and where the next page starts.</summary>
    public async Task<(List<DeliveryView> Page, string? Next)> ListAsync(long webhookId, string? after, int limit, CancellationToken cancellationToken)
    {
        // Delivery rows start with digits: they sort before the e- lookup rows.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Tables.Key(webhookId)} and RowKey gt {after ?? string.Empty} and RowKey lt {"a"}");
        var (page, more) = await tables.Deliveries.QueryAsync<TableEntity>(filter, maxPerPage: limit + 1,
            select: ["RowKey", "EventId", "Type", "Status", "Attempts", "LastAttempt", "LastStatusCode", "LastError", "NextAttempt"], cancellationToken: cancellationToken).PageAsync(limit, cancellationToken);
        return (page.Select(r => new DeliveryView(r.GetString("EventId")!, r.GetString("Type")!, r.GetString("Status")!, r.GetInt32("Attempts") ?? 0,
            r.GetDateTimeOffset("LastAttempt"), r.GetInt32("LastStatusCode"), r.GetString("LastError"), r.GetDateTimeOffset("NextAttempt"))).ToList(),
            more ? page[^1].RowKey : null);
    }

    /// <summary>One more attempt now, whatever the delivery's state (201 when the endpoint never had the event); one in flight is left to finish.</summary>
    public async Task RetryAsync(WebhookEntity endpoint, string eventId, CancellationToken cancellationToken)
    {
        await Contention.RetryAsync(async () =>
        {
            var found = await FindAsync(endpoint.Id, eventId, cancellationToken) ?? throw new ApiException(ErrorCode.NotFound, "Not found in database: no such delivery");
            var now = time.GetUtcNow();
            if (found.GetDateTimeOffset("ClaimedUntil") > now)
                return true; // An attempt is in flight, and its result decides what comes next.
            var oldDue = found.GetString("DuePartition");
            found["Status"] = DeliveryStatus.Pending;
            found["NextAttempt"] = now;
            found["DuePartition"] = DuePartition(endpoint.Id, now);
            await tables.DeliveriesDue.UpsertEntityAsync(DueEntity(endpoint.UserId, endpoint.Id, found.RowKey, DuePartition(endpoint.Id, now)), TableUpdateMode.Replace, cancellationToken);
            try
            {
                await tables.Deliveries.UpdateEntityAsync(found, found.ETag, TableUpdateMode.Replace, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                return false;
            }

            if (oldDue is not null && oldDue != DuePartition(endpoint.Id, now))
                await tables.DeliveriesDue.DeleteEntityAsync(oldDue, DueRow(endpoint.Id, found.RowKey), ETag.All, cancellationToken);
            return true;
        }, cancellationToken);
        coolingUntil.TryRemove(endpoint.Id, out _);
        Wake();
    }

    /// <summary>The endpoint's delivery of <paramref name="eventId"/>: two point reads, through its lookup row.</summary>
    private async Task<TableEntity?> FindAsync(long webhookId, string eventId, CancellationToken cancellationToken)
    {
        var partition = Tables.Key(webhookId);
        var lookup = await tables.Deliveries.GetEntityIfExistsAsync<TableEntity>(partition, "e-" + eventId, ["Delivery"], cancellationToken);
        if (!lookup.HasValue)
            return null;
        var delivery = await tables.Deliveries.GetEntityIfExistsAsync<TableEntity>(partition, lookup.Value!.GetString("Delivery")!, cancellationToken: cancellationToken);
        return delivery.HasValue ? delivery.Value : null;
    }

    private static TableEntity DueEntity(long userId, long webhookId, string deliveryRow, string partition) =>
        new(partition, DueRow(webhookId, deliveryRow)) { ["UserId"] = userId, ["WebhookId"] = webhookId, ["Delivery"] = deliveryRow };

    /// <summary>Newest first: the event's time, inverted, then its id.</summary>
    private static string DeliveryRow(WebhookEvent @event) => $"{long.MaxValue - @event.Timestamp.UtcTicks:D19}-{@event.Id}";

    /// <summary>Whether <paramref name="row"/> has a delivery row's shape (19 digits, '-', an event id): a client's <c>next</c> is checked before it reaches a query.</summary>
    public static bool IsDeliveryRow(string row) =>
        row.Length == 56 && row[19] == '-' && !row.AsSpan(0, 19).ContainsAnyExcept("0123456789") && Events.IsId(row[20..]);

    private static string DueRow(long webhookId, string deliveryRow) => $"{Tables.Key(webhookId)}-{deliveryRow}";

    private static string DuePartition(long webhookId, DateTimeOffset due) => $"{(int)((ulong)webhookId * 0x9E3779B97F4A7C15UL >> 61):x1}-{Minute(due)}";

    private static string Minute(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 2600, Level = LogLevel.Information, Message = "Webhook {WebhookId}: event {EventId}, attempt {Attempt}: {StatusCode} {Error} → {Status}")]
    private static partial void Attempted(ILogger logger, long webhookId, string eventId, int attempt, int? statusCode, string? error, string status);

    [LoggerMessage(EventId = 2601, Level = LogLevel.Warning, Message = "Webhook {WebhookId}: delivery {Delivery} could not be attempted; it stays due")]
    private static partial void AttemptFailed(ILogger logger, Exception exception, long webhookId, string delivery);
}

public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

/// <summary>A delivery as <c>webhook/delivery/list</c> shows it.</summary>
public sealed record DeliveryView(string EventId, string Type, string Status, int Attempts, DateTimeOffset? LastAttempt, int? LastStatusCode, string? LastError, DateTimeOffset? NextAttempt);
