using System.Text.Json;
using FormFiles.Api;

namespace FormFiles.Webhooks;

/// <summary>What an endpoint's URL and event list must be (7, naming the rule, otherwise).</summary>
public static class WebhookRules
{
    public const int MaxUrlLength = 2048;
    public const int MaxDescriptionLength = 500;

    public static string Url(string url, bool allowPrivateTargets)
    {
        if (url.Length > MaxUrlLength)
            throw ApiException.InvalidParameter("url", $"must take at most {MaxUrlLength} characters");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http") || string.IsNullOrEmpty(parsed.Host))
            throw ApiException.InvalidParameter("url", "must be an absolute https URL");
        if (parsed.Scheme == Uri.UriSchemeHttp && !allowPrivateTargets)
            throw ApiException.InvalidParameter("url", "must use https (plain http only with FormFiles:Webhooks:AllowPrivateTargets)");
        if (!string.IsNullOrEmpty(parsed.UserInfo))
            throw ApiException.InvalidParameter("url", "must not hold credentials");
        if (!string.IsNullOrEmpty(parsed.Fragment))
            throw ApiException.InvalidParameter("url", "must not have a fragment");
        return parsed.AbsoluteUri;
    }

    /// <summary>A non-empty list of known event types, or <c>["*"]</c>; stored comma-separated.</summary>
    public static string Events(JsonElement events)
    {
        var types = new List<string>();
        foreach (var item in events.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { } type || (type != EventTypes.All && !EventTypes.Known.Contains(type)))
                throw ApiException.InvalidParameter("events", $"may hold only {string.Join(", ", EventTypes.Known.Order(StringComparer.Ordinal))}, or \"*\" alone");
            if (!types.Contains(type))
                types.Add(type);
        }

        if (types.Count == 0)
            throw ApiException.InvalidParameter("events", "must name at least one event type, or \"*\"");
        if (types.Contains(EventTypes.All) && types.Count > 1)
            throw ApiException.InvalidParameter("events", "must be \"*\" alone, or name event types");
        return string.Join(',', types);
    }

    public static string? Description(string? description) =>
        description is { Length: > MaxDescriptionLength } ? throw ApiException.InvalidParameter("description", $"must take at most {MaxDescriptionLength} characters") : description;
}
