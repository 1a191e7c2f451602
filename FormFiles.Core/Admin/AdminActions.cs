using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Storage;

namespace FormFiles.Admin;

/// <summary><c>admin/user/create {label, quota_bytes?, time_zone?}</c> → <c>{id}</c>.</summary>
internal sealed class UserCreateAction(AdminGate gate, Tables tables, IdAllocator ids, TimeProvider time, IOptions<FormFilesOptions> options) : IApiAction
{
    public string Name => "admin/user/create";

    public bool UsesApiKey => false;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        gate.Require(request.HttpContext);
        var p = request.Parameters;
        var label = Text.Label(p.RequiredString("label"), "label", 100);
        var quota = p.OptionalInt64("quota_bytes") ?? options.Value.DefaultQuotaBytes;
        if (quota < 0)
            throw ApiException.InvalidParameter("quota_bytes", "must be zero or more");
        var zone = p.OptionalString("time_zone") is { } name ? TimeZones.Check(name, "time_zone") : null;

        var id = await ids.NextAsync("user", cancellationToken);
        var user = new UserEntity { PartitionKey = Tables.Key(id), Id = id, Label = label, QuotaBytes = quota, TimeZone = zone, Created = time.GetUtcNow() };
        if (!await tables.Users.TryAddAsync(user, cancellationToken))
            throw new InvalidOperationException($"User id {id} was handed out twice");
        return ApiResults.Ok(new IdResponse(id));
    }
}

/// <summary><c>admin/user/read {user_id}</c> → <c>{value}</c>.</summary>
internal sealed class UserReadAction(AdminGate gate, Tables tables) : IApiAction
{
    public string Name => "admin/user/read";

    public bool UsesApiKey => false;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        gate.Require(request.HttpContext);
        var user = await tables.FindUserAsync(request.Parameters.RequiredInt64("user_id"), cancellationToken)
                   ?? throw NotFound.User();
        return ApiResults.Ok(new ValueResponse<UserView>(new UserView(user.Id, user.Label, user.QuotaBytes, user.Created, user.RateLimitPerSecond, user.RateLimitBurst, user.TimeZone ?? "UTC")));
    }
}

/// <summary>
/// <c>admin/user/update {user_id, quota_bytes?, rate_limit_per_second?, rate_limit_burst?, time_zone?}</c> → <c>{value}</c>.
/// An absent setting stays; a rate limit given as null goes back to the configured one, a time zone to UTC. The row is
/// replaced whole (the quota totals on it included) on its ETag.
/// </summary>
internal sealed class UserUpdateAction(AdminGate gate, Tables tables, ApiKeys keys) : IApiAction
{
    public string Name => "admin/user/update";

    public bool UsesApiKey => false;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        gate.Require(request.HttpContext);
        var p = request.Parameters;
        var userId = p.RequiredInt64("user_id");
        var quota = p.OptionalInt64("quota_bytes");
        if (quota < 0)
            throw ApiException.InvalidParameter("quota_bytes", "must be zero or more");
        var changes = new Dictionary<string, object?>();
        if (quota is not null)
            changes[nameof(UserEntity.QuotaBytes)] = quota;
        Limit(p, "rate_limit_per_second", nameof(UserEntity.RateLimitPerSecond), Calls.RateLimits.MaxPermitsPerSecond, changes);
        Limit(p, "rate_limit_burst", nameof(UserEntity.RateLimitBurst), Calls.RateLimits.MaxBurst, changes);
        if (p.IsExplicitNull("time_zone"))
            changes[nameof(UserEntity.TimeZone)] = null;
        else if (p.OptionalString("time_zone") is { } zone)
            changes[nameof(UserEntity.TimeZone)] = TimeZones.Check(zone, "time_zone");

        var user = await Contention.RetryAsync(async () =>
        {
            var row = await tables.Users.GetEntityIfExistsAsync<TableEntity>(Tables.Key(userId), UserEntity.Row, cancellationToken: cancellationToken);
            var user = row.HasValue ? row.Value! : throw NotFound.User();
            foreach (var (name, value) in changes)
            {
                if (value is null)
                    user.Remove(name);
                else
                    user[name] = value;
            }

            return (await tables.Users.TryUpdateAsync(user, user.ETag, cancellationToken), user);
        }, cancellationToken);
        var view = UserView.Of(user);
        keys.UserChanged(userId, new RateOverride(view.RateLimitPerSecond, view.RateLimitBurst), TimeZones.Of(view.TimeZone));
        return ApiResults.Ok(new ValueResponse<UserView>(view));
    }

    private static void Limit(ApiParameters p, string parameter, string column, int max, Dictionary<string, object?> changes)
    {
        if (p.IsExplicitNull(parameter))
        {
            changes[column] = null;
        }
        else if (p.OptionalInt64(parameter) is { } value)
        {
            changes[column] = value is >= 1 && value <= max
                ? (int)value
                : throw ApiException.InvalidParameter(parameter, $"must be between 1 and {max}, or null for the configured limit");
        }
    }
}

/// <summary><c>admin/api_key/create {user_id, rights}</c> → <c>{hash}</c>, shown this once.</summary>
internal sealed class ApiKeyCreateAction(AdminGate gate, Tables tables, ApiKeys keys) : IApiAction
{
    public string Name => "admin/api_key/create";

    public bool UsesApiKey => false;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        gate.Require(request.HttpContext);
        var p = request.Parameters;
        var userId = p.RequiredInt64("user_id");
        var rights = ReadRights(p.RequiredArray("rights"));
        _ = await tables.FindUserAsync(userId, cancellationToken) ?? throw NotFound.User();
        return ApiResults.Ok(new HashResponse(await keys.CreateAsync(userId, rights, cancellationToken)));
    }

    private static HashSet<string> ReadRights(System.Text.Json.JsonElement array)
    {
        var rights = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != System.Text.Json.JsonValueKind.String || !Rights.All.Contains(item.GetString()!))
                throw ApiException.InvalidParameter("rights", $"may hold only {string.Join(" and ", Rights.All)}");
            rights.Add(item.GetString()!);
        }

        return rights.Count > 0 ? rights : throw ApiException.InvalidParameter("rights", "must name at least one right");
    }
}

/// <summary><c>admin/api_key/revoke {hash}</c>: every instance refuses the key within five seconds.</summary>
internal sealed class ApiKeyRevokeAction(AdminGate gate, ApiKeys keys) : IApiAction
{
    public string Name => "admin/api_key/revoke";

    public bool UsesApiKey => false;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        gate.Require(request.HttpContext);
        var hash = request.Parameters.RequiredString("hash");
        if (!ApiParameters.IsWellFormedHash(hash))
            throw ApiException.InvalidParameter("hash", "must be 32 lowercase hexadecimal characters");
        return await keys.RevokeAsync(hash, cancellationToken)
            ? ApiResults.Ok(new EmptyResponse())
            : throw new ApiException(ErrorCode.NotFound, "Not found in database: no such API key");
    }
}

/// <summary>A user; a null rate limit follows <c>FormFiles:RateLimit</c>.</summary>
internal sealed record UserView(long Id, string Label, long QuotaBytes, DateTimeOffset Created, int? RateLimitPerSecond, int? RateLimitBurst, string TimeZone)
{
    public static UserView Of(TableEntity row) => new(
        row.GetInt64(nameof(UserEntity.Id)) ?? 0,
        row.GetString(nameof(UserEntity.Label)) ?? string.Empty,
        row.GetInt64(nameof(UserEntity.QuotaBytes)) ?? 0,
        row.GetDateTimeOffset(nameof(UserEntity.Created)) ?? default,
        row.GetInt32(nameof(UserEntity.RateLimitPerSecond)),
        row.GetInt32(nameof(UserEntity.RateLimitBurst)),
        row.GetString(nameof(UserEntity.TimeZone)) ?? "UTC");
}

internal sealed record HashResponse(string Hash) : ApiResponse;

internal static class UserLookup
{
    public static async Task<UserEntity?> FindUserAsync(this Tables tables, long userId, CancellationToken cancellationToken)
    {
        var row = await tables.Users.GetEntityIfExistsAsync<UserEntity>(Tables.Key(userId), UserEntity.Row, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }
}
