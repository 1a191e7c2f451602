using System.Globalization;
using FormFiles.Admin;
using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Storage;

namespace FormFiles.Usage;

/// <summary><c>usage/read {from, to}</c> → the caller's user's calls and bytes, per day, key and action.</summary>
internal sealed class UsageReadAction(ApiKeys keys, UsageMeter usage) : IApiAction
{
    public string Name => "usage/read";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var (from, to) = UsageRange.Read(request.Parameters);
        return ApiResults.Ok(await usage.ReadAsync(caller.UserId, from, to, cancellationToken));
    }
}

/// <summary><c>admin/usage/read {user_id, from, to}</c>: the same for any user.</summary>
internal sealed class AdminUsageReadAction(AdminGate gate, Tables tables, UsageMeter usage) : IApiAction
{
    public string Name => "admin/usage/read";

    public bool UsesApiKey => false;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        gate.Require(request.HttpContext);
        var userId = request.Parameters.RequiredInt64("user_id");
        var (from, to) = UsageRange.Read(request.Parameters);
        _ = await tables.FindUserAsync(userId, cancellationToken) ?? throw NotFound.User();
        return ApiResults.Ok(await usage.ReadAsync(userId, from, to, cancellationToken));
    }
}

internal static class UsageRange
{
    public const int MaxDays = 92;

    public static (DateOnly From, DateOnly To) Read(ApiParameters parameters)
    {
        var from = Date(parameters, "from");
        var to = Date(parameters, "to");
        if (to < from)
            throw ApiException.InvalidParameter("to", "must not be before 'from'");
        return to.DayNumber - from.DayNumber < MaxDays
            ? (from, to)
            : throw ApiException.InvalidParameter("to", $"must be at most {MaxDays} days from 'from' (both included)");
    }

    private static DateOnly Date(ApiParameters parameters, string name) =>
        DateOnly.TryParseExact(parameters.RequiredString(name), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw ApiException.InvalidParameter(name, "must be a date as yyyy-MM-dd");
}
