using System.Globalization;
using Azure.Data.Tables;

namespace FormFiles.Storage;

/// <summary>
/// The service's tables (design §6), one <see cref="TableClient"/> each, shared by the whole process.
/// <list type="bullet">
/// <item><c>users</c>: PK user id; RK <c>user</c> (quota totals), <c>charge-{file id}</c> (what each file holds).</item>
/// <item><c>apikeys</c>: PK SHA-256 of the key, RK <c>key</c>.</item>
/// <item><c>templates</c>: PK user id, RK template id.</item>
/// <item><c>tasks</c>: PK task id; the task row, its form row, and later its files: one partition per
/// task, so that an entity-group transaction changes them together.</item>
/// <item><c>usertasks</c>: PK user id, RK task id; a versioned copy of each task row for task/list.</item>
/// <item><c>counters</c>: PK sequence name, RK <c>next</c>; the id block allocator, a partition per sequence.</item>
/// <item><c>webhooks</c>: PK user id, RK webhook id (and <c>count</c>); <c>deliveries</c>: PK webhook id, RK newest
/// first (and <c>e-{event id}</c>, each delivery's point lookup); <c>deliveriesdue</c>: PK <c>{shard}-{minute}</c>
/// (see <see cref="FormFiles.Webhooks.WebhookDeliveries"/>); <c>deliveryexpiry</c>: PK the day a delivery was queued,
/// or <c>00000000</c> for a deleted endpoint (see <see cref="FormFiles.Webhooks.DeliveryRetention"/>).</item>
/// <item><c>tasks</c> also holds each task's outbox rows (<c>outbox-{guid}</c>, see <see cref="FormFiles.Webhooks.Outbox"/>).</item>
/// <item><c>pending</c>: PK <c>{shard}-{due minute}</c>, RK file id or <c>task-{task id}</c>; work not yet settled.</item>
/// <item><c>idempotency</c>: PK user id, RK SHA-256 of an <c>Idempotency-Key</c>; the claim and then the kept answer.</item>
/// <item><c>usage</c>: PK user id, RK <c>{day}|{key}|{action}</c>; metered calls and bytes (see <see cref="FormFiles.Usage.UsageMeter"/>).</item>
/// <item><c>maintenance</c>: PK <c>sweep</c>, RK <c>last</c>; when the sweep last completed a pass (see <see cref="FormFiles.Health.SweepRecord"/>).</item>
/// <item><c>usertasks</c> also holds each user's <c>count</c> row and external-id index rows (see <see cref="Tasks.TaskList"/>).</item>
/// </list>
/// </summary>
public sealed class Tables(TableServiceClient service)
{
    public TableClient Users { get; } = service.GetTableClient("users");

    public TableClient ApiKeys { get; } = service.GetTableClient("apikeys");

    public TableClient Templates { get; } = service.GetTableClient("templates");

    public TableClient Tasks { get; } = service.GetTableClient("tasks");

    public TableClient UserTasks { get; } = service.GetTableClient("usertasks");

    public TableClient Counters { get; } = service.GetTableClient("counters");

    public TableClient Pending { get; } = service.GetTableClient("pending");

    public TableClient Webhooks { get; } = service.GetTableClient("webhooks");

    public TableClient Deliveries { get; } = service.GetTableClient("deliveries");

    public TableClient DeliveriesDue { get; } = service.GetTableClient("deliveriesdue");

    public TableClient DeliveryExpiry { get; } = service.GetTableClient("deliveryexpiry");

    public TableClient Idempotency { get; } = service.GetTableClient("idempotency");

    public TableClient Usage { get; } = service.GetTableClient("usage");

    public TableClient Maintenance { get; } = service.GetTableClient("maintenance");

    public IEnumerable<TableClient> All => [Users, ApiKeys, Templates, Tasks, UserTasks, Counters, Pending, Webhooks, Deliveries, DeliveriesDue, DeliveryExpiry, Idempotency, Usage, Maintenance];

    /// <summary>A row key for an id that sorts numerically (19 digits hold every positive int64).</summary>
    public static string Key(long id) => id.ToString("D19", CultureInfo.InvariantCulture);
}
