using FormFiles.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FormFiles.Functions;

/// <summary>
/// Every other <c>/v2/{action}</c>, any method → the Core dispatcher, which answers unknown
/// actions and methods with the Navixy envelope (111 / 112).
/// </summary>
public sealed class ApiFunction(ApiDispatcher dispatcher)
{
    [Function(nameof(Api))]
    public Task Api([HttpTrigger(AuthorizationLevel.Anonymous, Route = "{*action}")] HttpRequest request, string? action) =>
        dispatcher.HandleAsync(request.HttpContext, action ?? string.Empty);
}
