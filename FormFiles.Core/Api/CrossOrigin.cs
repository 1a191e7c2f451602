using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Net.Http.Headers;

namespace FormFiles.Api;

/// <summary><c>FormFiles:Cors</c>: the origins whose web pages may call the API, comma-separated; none by default, <c>*</c> for any.</summary>
public sealed class CorsOptions
{
    public string? AllowedOrigins { get; set; }

    public string[] Origins => (AllowedOrigins ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Validate(string section, List<string> failures)
    {
        foreach (var origin in Origins)
        {
            if (origin != "*" && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                                   && string.Equals(uri.GetLeftPart(UriPartial.Authority), origin, StringComparison.OrdinalIgnoreCase)))
                failures.Add($"{section}:AllowedOrigins holds '{origin}', which is neither an origin (scheme://host[:port], no path) nor *.");
        }
    }
}

/// <summary>
/// CORS for every route of the service, in both hosts (the Functions worker has no middleware of its own for it):
/// ASP.NET Core's CORS service evaluates the configured policy. A preflight is answered here, before any key,
/// limiter or storage; an actual call gets its headers and goes on.
/// </summary>
public sealed class CrossOrigin(ICorsService cors, IOptions<FormFilesOptions> options)
{
    /// <summary>Response headers a page may read: the request id, the rate limit, and what a 429 says.</summary>
    private static readonly string[] Exposed = [RequestId.Header, "RateLimit", "RateLimit-Policy", HeaderNames.RetryAfter, HeaderNames.ContentDisposition, Calls.IdempotencyKeys.ReplayedHeader];

    private readonly CorsPolicy? policy = Build(options.Value.Cors.Origins);

    /// <summary>Applies the policy to the call; true when it was a preflight, which is then answered (204).</summary>
    public bool Answer(HttpContext context)
    {
        if (policy is null || !context.Request.Headers.ContainsKey(HeaderNames.Origin))
            return false;
        var result = cors.EvaluatePolicy(context, policy);
        cors.ApplyResult(result, context.Response);
        if (!result.IsPreflightRequest)
            return false;
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return true;
    }

    private static CorsPolicy? Build(string[] origins)
    {
        if (origins.Length == 0)
            return null;
        var builder = new CorsPolicyBuilder();
        if (origins.Contains("*"))
            builder.AllowAnyOrigin();
        else
            builder.WithOrigins(origins);
        return builder.AllowAnyHeader().WithMethods("GET", "POST", "PUT", "DELETE").WithExposedHeaders(Exposed)
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10)).Build();
    }
}
