using FormFiles.Api;
using FormFiles.Auth;

namespace FormFiles.Webhooks;

/// <summary><c>webhook/create {url, events, description?}</c> → <c>{id, secret}</c>; the secret is shown here and at rotation only.</summary>
internal sealed class WebhookCreateAction(ApiKeys keys, WebhookStore webhooks, IOptions<FormFilesOptions> options) : IApiAction
{
    public string Name => "webhook/create";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var p = request.Parameters;
        var url = WebhookRules.Url(p.RequiredString("url"), options.Value.Webhooks.AllowPrivateTargets);
        var events = WebhookRules.Events(p.RequiredArray("events"));
        var description = WebhookRules.Description(p.OptionalString("description"));
        var (id, secret) = await webhooks.CreateAsync(caller.UserId, url, events, description, cancellationToken);
        return ApiResults.Ok(new WebhookCreated(id, secret));
    }
}

internal sealed record WebhookCreated(long Id, string Secret) : ApiResponse;

/// <summary><c>webhook/list</c> → <c>{list: [endpoint]}</c>.</summary>
internal sealed class WebhookListAction(ApiKeys keys, WebhookStore webhooks) : IApiAction
{
    public string Name => "webhook/list";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        return ApiResults.Ok(new ListResponse<WebhookView>((await webhooks.ListAsync(caller.UserId, cancellationToken)).Select(w => w.View()).ToList()));
    }
}

/// <summary><c>webhook/read {webhook_id}</c> → <c>{value: endpoint}</c>.</summary>
internal sealed class WebhookReadAction(ApiKeys keys, WebhookStore webhooks) : IApiAction
{
    public string Name => "webhook/read";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var endpoint = await webhooks.GetAsync(caller.UserId, request.Parameters.RequiredInt64("webhook_id"), cancellationToken);
        return ApiResults.Ok(new ValueResponse<WebhookView>(endpoint.View()));
    }
}

/// <summary><c>webhook/update {webhook_id, url?, events?, description?, enabled?}</c>; enabling clears the reason it was disabled.</summary>
internal sealed class WebhookUpdateAction(ApiKeys keys, WebhookStore webhooks, IOptions<FormFilesOptions> options) : IApiAction
{
    public string Name => "webhook/update";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var p = request.Parameters;
        var webhookId = p.RequiredInt64("webhook_id");
        var url = p.OptionalString("url") is { } given ? WebhookRules.Url(given, options.Value.Webhooks.AllowPrivateTargets) : null;
        var events = p.OptionalArray("events") is { } list ? WebhookRules.Events(list) : null;
        var description = WebhookRules.Description(p.OptionalString("description"));
        var enabled = p.OptionalBoolean("enabled");
        await webhooks.UpdateAsync(caller.UserId, webhookId, endpoint =>
        {
            endpoint.Url = url ?? endpoint.Url;
            endpoint.Events = events ?? endpoint.Events;
            endpoint.Description = description ?? endpoint.Description;
            if (enabled is { } on && on != endpoint.Enabled)
                (endpoint.Enabled, endpoint.DisabledReason, endpoint.FailingSince) = (on, on ? null : "disabled through the API", null);
        }, cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }
}

/// <summary><c>webhook/delete {webhook_id}</c>: the endpoint; its pending deliveries are dropped.</summary>
internal sealed class WebhookDeleteAction(ApiKeys keys, WebhookStore webhooks) : IApiAction
{
    public string Name => "webhook/delete";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var webhookId = request.Parameters.RequiredInt64("webhook_id");
        await webhooks.GetAsync(caller.UserId, webhookId, cancellationToken);
        await webhooks.DeleteAsync(caller.UserId, webhookId, cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }
}

/// <summary><c>webhook/secret/rotate {webhook_id}</c> → <c>{secret}</c>; both secrets sign for a day.</summary>
internal sealed class WebhookRotateAction(ApiKeys keys, WebhookStore webhooks) : IApiAction
{
    public string Name => "webhook/secret/rotate";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        return ApiResults.Ok(new SecretResponse(await webhooks.RotateAsync(caller.UserId, request.Parameters.RequiredInt64("webhook_id"), cancellationToken)));
    }
}

internal sealed record SecretResponse(string Secret) : ApiResponse;

/// <summary><c>webhook/test {webhook_id}</c> → <c>{event_id}</c>: a <c>webhook.test</c> event queued to that endpoint.</summary>
internal sealed class WebhookTestAction(ApiKeys keys, WebhookStore webhooks, WebhookDeliveries deliveries, TimeProvider time) : IApiAction
{
    public string Name => "webhook/test";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var endpoint = await webhooks.GetAsync(caller.UserId, request.Parameters.RequiredInt64("webhook_id"), cancellationToken);
        var @event = Events.Test(endpoint.Id, caller.UserId, time.GetUtcNow());
        await deliveries.EnqueueAsync(endpoint, @event, cancellationToken);
        deliveries.Wake();
        return ApiResults.Ok(new EventIdResponse(@event.Id));
    }
}

internal sealed record EventIdResponse(string EventId) : ApiResponse;

/// <summary><c>webhook/delivery/list {webhook_id, limit?}</c> → the latest deliveries, newest first.</summary>
internal sealed class WebhookDeliveryListAction(ApiKeys keys, WebhookStore webhooks, WebhookDeliveries deliveries) : IApiAction
{
    public const int MaxLimit = 100;

    public string Name => "webhook/delivery/list";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var endpoint = await webhooks.GetAsync(caller.UserId, request.Parameters.RequiredInt64("webhook_id"), cancellationToken);
        var limit = request.Parameters.OptionalInt64("limit") ?? 20;
        if (limit is < 1 or > MaxLimit)
            throw ApiException.InvalidParameter("limit", $"must be 1 to {MaxLimit}");
        var after = request.Parameters.OptionalString("next");
        if (after is not null && !WebhookDeliveries.IsDeliveryRow(after))
            throw ApiException.InvalidParameter("next", "must be the next of a previous page");
        var (page, next) = await deliveries.ListAsync(endpoint.Id, after, (int)limit, cancellationToken);
        return ApiResults.Ok(new DeliveryPage(page, next));
    }
}

/// <param name="Next">Where the next page starts (pass it as <c>next</c>); absent on the last page.</param>
internal sealed record DeliveryPage(
    IReadOnlyList<DeliveryView> List,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Next) : ApiResponse;

/// <summary><c>webhook/delivery/retry {webhook_id, event_id}</c>: one more attempt, now.</summary>
internal sealed class WebhookDeliveryRetryAction(ApiKeys keys, WebhookStore webhooks, WebhookDeliveries deliveries) : IApiAction
{
    public string Name => "webhook/delivery/retry";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var endpoint = await webhooks.GetAsync(caller.UserId, request.Parameters.RequiredInt64("webhook_id"), cancellationToken);
        var eventId = request.Parameters.RequiredString("event_id");
        if (!Events.IsId(eventId))
            throw new ApiException(ErrorCode.NotFound, "Not found in database: no such delivery");
        await deliveries.RetryAsync(endpoint, eventId, cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }
}
