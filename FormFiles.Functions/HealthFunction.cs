using FormFiles.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FormFiles.Functions;

/// <summary><c>GET /v2/health</c> → the Core health action (the dispatcher writes the response).</summary>
public sealed class HealthFunction(ApiDispatcher dispatcher)
{
    [Function(nameof(Health))]
    public Task Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        dispatcher.HandleAsync(request.HttpContext, "health");
}
