namespace FormFiles.Api;

/// <summary><c>{"success": true}</c>.</summary>
public sealed record EmptyResponse : ApiResponse;

/// <summary><c>{"success": true, "id": N}</c>, what every create answers.</summary>
public sealed record IdResponse(long Id) : ApiResponse;

/// <summary><c>{"success": true, "value": {...}}</c>, what every read answers.</summary>
public sealed record ValueResponse<T>(T Value) : ApiResponse;

/// <summary><c>{"success": true, "list": [...]}</c>.</summary>
public sealed record ListResponse<T>(IReadOnlyList<T> List) : ApiResponse;

/// <summary>The 201 answers; another user's object is indistinguishable from a missing one.</summary>
public static class NotFound
{
    public static ApiException User() => Of("user");

    public static ApiException Task() => Of("task");

    public static ApiException Template() => Of("form template");

    public static ApiException Form() => Of("form");

    private static ApiException Of(string what) => new(ErrorCode.NotFound, $"Not found in database: no such {what}");
}
