namespace FormFiles.Api;

/// <summary>Where the API lives: <c>/v2/{action}</c>, as Navixy.</summary>
public static class ApiRoutes
{
    /// <summary>The base path (in Azure Functions, part of the API function's route).</summary>
    public const string Prefix = "v2";

    /// <summary>
    /// The service's own address, for the URLs it hands out: <c>FormFiles:PublicBaseUrl</c>, or the request's
    /// scheme and host; 5 when there is neither (an HTTP/1.0 request without <c>Host</c>). Ends in a slash.
    /// </summary>
    public static Uri PublicRoot(HttpRequest? request, Uri? configured)
    {
        var root = configured
                   ?? (request is { Host.HasValue: true } && Uri.TryCreate($"{request.Scheme}://{request.Host}{request.PathBase}/", UriKind.Absolute, out var own) ? own : null)
                   ?? throw new ApiException(ErrorCode.WrongRequestFormat, "Wrong request format: a Host header is needed to build the service's URLs");
        return root.AbsoluteUri.EndsWith('/') ? root : new Uri(root.AbsoluteUri + "/");
    }

    /// <summary>Serves every action under <c>/v2/</c>, the dialects' routes, and the envelope's 404 everywhere else.</summary>
    public static IEndpointRouteBuilder MapFormFiles(this IEndpointRouteBuilder endpoints)
    {
        var dispatcher = endpoints.ServiceProvider.GetRequiredService<ApiDispatcher>();
        endpoints.Map($"/{Prefix}/{{**action}}", context =>
            dispatcher.HandleAsync(context, context.GetRouteValue("action") as string ?? string.Empty));
        var onlyOffice = endpoints.ServiceProvider.GetRequiredService<Dialects.OnlyOffice.OnlyOfficeEndpoints>();
        endpoints.MapMethods(Dialects.OnlyOffice.OnlyOfficeEndpoints.Route, ["GET", "POST", "DELETE", "OPTIONS"], context => onlyOffice.HandleAsync(context, context.GetRouteValue("taskid") as string));
        endpoints.MapMethods(Dialects.OnlyOffice.OnlyOfficeEndpoints.JsonRoute, ["GET", "POST", "DELETE", "OPTIONS"], context => onlyOffice.HandleAsync(context, context.GetRouteValue("taskid") as string));
        endpoints.MapMethods(Dialects.OnlyOffice.OnlyOfficeEndpoints.UploadRoute, ["POST", "OPTIONS"], context => onlyOffice.HandleUploadAsync(context, context.GetRouteValue("folderid") as string));
        endpoints.MapMethods(Dialects.OnlyOffice.OnlyOfficeEndpoints.UploadJsonRoute, ["POST", "OPTIONS"], context => onlyOffice.HandleUploadAsync(context, context.GetRouteValue("folderid") as string));
        var tallyfy = endpoints.ServiceProvider.GetRequiredService<Dialects.Tallyfy.TallyfyEndpoints>();
        endpoints.Map(Dialects.Tallyfy.TallyfyEndpoints.Route, context => tallyfy.HandleAsync(context, context.GetRouteValue("rest") as string));
        endpoints.Map(Dialects.Tallyfy.TallyfyEndpoints.ApiRoute, context => tallyfy.HandleAsync(context, context.GetRouteValue("rest") as string));
        endpoints.MapFallback("{**path}", context => dispatcher.HandleAsync(context, null));
        return endpoints;
    }
}
