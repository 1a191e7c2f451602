using System.Collections.Concurrent;
using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Storage;

namespace FormFiles.Webhooks;

/// <summary>
/// Endpoints per user. At most <see cref="MaxPerUser"/>: the count row changes in the same transaction as
/// the endpoint, conditional on its ETag, so the limit holds under parallel creates. Another user's
/// endpoint is reported exactly as a missing one (201). A change records events only for a user who
/// has an endpoint (<see cref="HasEndpointsAsync"/>).
/// </summary>
public sealed class WebhookStore(Tables tables, IdAllocator ids, DeliveryRetention retention, Turns turns, TimeProvider time)
{
    public const int MaxPerUser = 10;
    public static readonly TimeSpan SubscribersTtl = TimeSpan.FromSeconds(30);
    private const string CountRow = "count";

    private readonly ConcurrentDictionary<long, DateTimeOffset> hasEndpoints = new();

    public async Task<(long Id, string Secret)> CreateAsync(long userId, string url, string events, string? description, CancellationToken cancellationToken)
    {
        var endpoint = new WebhookEntity
        {
            Id = await ids.NextAsync("webhook", cancellationToken),
            UserId = userId,
            Url = url,
            Events = events,
            Description = description,
            Created = time.GetUtcNow(),
            Secret = NewSecret(),
        };
        endpoint.PartitionKey = Tables.Key(userId);
        endpoint.RowKey = Tables.Key(endpoint.Id);
        await turns.TakeAsync(TurnOf(userId), () => Contention.RetryAsync(async () =>
        {
            var (count, counted) = await CountAsync(userId, cancellationToken);
            if (counted >= MaxPerUser)
                throw ApiException.InvalidParameter("url", $"cannot be added: a user has at most {MaxPerUser} webhook endpoints");
            count["Endpoints"] = counted + 1;
            return await tables.Webhooks.TrySubmitAsync(
                [CountWrite(count), new TableTransactionAction(TableTransactionActionType.Add, endpoint)], endpoint, cancellationToken);
        }, cancellationToken), cancellationToken);
        return (endpoint.Id, endpoint.Secret);
    }

    /// <summary>The caller's endpoint, or 201.</summary>
    public async Task<WebhookEntity> GetAsync(long userId, long webhookId, CancellationToken cancellationToken) =>
        await FindAsync(userId, webhookId, cancellationToken) ?? throw new ApiException(ErrorCode.NotFound, "Not found in database: no such webhook");

    public async Task<WebhookEntity?> FindAsync(long userId, long webhookId, CancellationToken cancellationToken)
    {
        var row = await tables.Webhooks.GetEntityIfExistsAsync<WebhookEntity>(Tables.Key(userId), Tables.Key(webhookId), cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    public async Task<List<WebhookEntity>> ListAsync(long userId, CancellationToken cancellationToken) =>
        await tables.Webhooks.QueryAsync<WebhookEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Tables.Key(userId)} and RowKey lt {"a"}"), cancellationToken: cancellationToken)
            .ToListAsync(cancellationToken);

    /// <summary>
    /// Whether the user has an endpoint: a point read of the count row, except that a yes is remembered
    /// for <see cref="SubscribersTtl"/> (a no is never remembered, so an endpoint made on any instance
    /// gets the events of every change after it).
    /// </summary>
    public async Task<bool> HasEndpointsAsync(long userId, CancellationToken cancellationToken)
    {
        if (hasEndpoints.TryGetValue(userId, out var seen) && time.GetUtcNow() - seen < SubscribersTtl)
            return true;
        var count = await tables.Webhooks.GetEntityIfExistsAsync<TableEntity>(Tables.Key(userId), CountRow, ["Endpoints"], cancellationToken);
        if (!count.HasValue || (count.Value!.GetInt64("Endpoints") ?? 0) == 0)
            return false;
        hasEndpoints[userId] = time.GetUtcNow();
        return true;
    }

    /// <summary>Read, change, write with If-Match (stamped, bounded retries); <paramref name="change"/> may throw an <see cref="ApiException"/>.</summary>
    public async Task<WebhookEntity> UpdateAsync(long userId, long webhookId, Action<WebhookEntity> change, CancellationToken cancellationToken)
    {
        var updated = await Contention.RetryAsync(async () =>
        {
            var endpoint = await GetAsync(userId, webhookId, cancellationToken);
            change(endpoint);
            return (await tables.Webhooks.TryUpdateAsync(endpoint, endpoint.ETag, cancellationToken), endpoint);
        }, cancellationToken);
        return updated;
    }

    public async Task DeleteAsync(long userId, long webhookId, CancellationToken cancellationToken)
    {
        await turns.TakeAsync(TurnOf(userId), () => Contention.RetryAsync(async () =>
        {
            var endpoint = await FindAsync(userId, webhookId, cancellationToken);
            if (endpoint is null)
                return true; // Gone: this delete landed already (a retry), or another one did.
            var (count, counted) = await CountAsync(userId, cancellationToken);
            count["Endpoints"] = Math.Max(0, counted - 1);
            try
            {
                await tables.Webhooks.SubmitTransactionAsync([CountWrite(count), new TableTransactionAction(TableTransactionActionType.Delete, endpoint, endpoint.ETag)], cancellationToken);
                return true;
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
            {
                return false;
            }
        }, cancellationToken), cancellationToken);
        // After the delete: should this fail, the deliveries still go when their retention ends.
        await retention.EndpointDeletedAsync(webhookId, cancellationToken);
    }

    /// <summary>A new secret; the old one keeps signing for a day.</summary>
    public async Task<string> RotateAsync(long userId, long webhookId, CancellationToken cancellationToken)
    {
        var secret = NewSecret();
        await UpdateAsync(userId, webhookId, endpoint =>
        {
            if (endpoint.Secret == secret)
                return; // This rotation landed on an earlier attempt.
            endpoint.PreviousSecret = endpoint.Secret;
            endpoint.PreviousSecretUntil = time.GetUtcNow().AddDays(1);
            endpoint.Secret = secret;
        }, cancellationToken);
        return secret;
    }

    private static string TurnOf(long userId) => $"webhooks/{userId}";

    private async Task<(TableEntity Row, long Count)> CountAsync(long userId, CancellationToken cancellationToken)
    {
        var row = await tables.Webhooks.GetOrAddAsync(new TableEntity(Tables.Key(userId), CountRow) { ["Endpoints"] = 0L }, cancellationToken);
        return (row, row.GetInt64("Endpoints") ?? 0);
    }

    private static TableTransactionAction CountWrite(TableEntity count) => new(TableTransactionActionType.UpdateReplace, count, count.ETag);

    /// <summary><c>whsec_</c> and 32 random bytes in base64, as Standard Webhooks has it.</summary>
    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
