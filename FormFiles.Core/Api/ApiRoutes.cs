namespace FormFiles.Api;

/// <summary>Where the API lives: <c>/v2/{action}</c>, as Navixy.</summary>
public static class ApiRoutes
{
    /// <summary>The base path (in Azure Functions, part of the API function's route).</summary>
    public const string Prefix = "v2";

    /// <summary>Serves every action under <c>/v2/</c>, the dialects' routes, and the envelope's 404 everywhere else.</summary>
    public static IEndpointRouteBuilder MapFormFiles(this IEndpointRouteBuilder endpoints)
    {
        var dispatcher = endpoints.ServiceProvider.GetRequiredService<ApiDispatcher>();
        endpoints.Map($"/{Prefix}/{{**action}}", context =>
            dispatcher.HandleAsync(context, context.GetRouteValue("action") as string ?? string.Empty));
        var onlyOffice = endpoints.ServiceProvider.GetRequiredService<Dialects.OnlyOffice.OnlyOfficeEndpoints>();
        endpoints.MapMethods(Dialects.OnlyOffice.OnlyOfficeEndpoints.Route, ["GET", "POST", "DELETE", "OPTIONS"], context => onlyOffice.HandleAsync(context, context.GetRouteValue("taskid") as string));
        var tallyfy = endpoints.ServiceProvider.GetRequiredService<Dialects.Tallyfy.TallyfyEndpoints>();
        endpoints.Map(Dialects.Tallyfy.TallyfyEndpoints.Route, context => tallyfy.HandleAsync(context, context.GetRouteValue("rest") as string));
        endpoints.MapFallback("{**path}", context => dispatcher.HandleAsync(context, null));
        return endpoints;
    }
}
