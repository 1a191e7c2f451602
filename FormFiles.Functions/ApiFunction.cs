using FormFiles.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FormFiles.Functions;

/// <summary>
/// Every <c>/v2/{action}</c>, <c>health</c> included, any method → the Core dispatcher, which answers
/// unknown actions and methods with the Navixy envelope (111 / 112). One HTTP function, so that no
/// route ordering can send a call to the wrong one.
/// </summary>
public sealed class ApiFunction(ApiDispatcher dispatcher)
{
    [Function(nameof(Api))]
    public Task Api([HttpTrigger(AuthorizationLevel.Anonymous, Route = "{*action}")] HttpRequest request, string? action) =>
        dispatcher.HandleAsync(request.HttpContext, action ?? string.Empty);
}
