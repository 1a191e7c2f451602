using FormFiles.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FormFiles.Functions;

/// <summary>
/// Every <c>/v2/{action}</c>, <c>health</c> included, any method → the Core dispatcher, which answers
/// unknown actions and methods with the Navixy envelope (111 / 112). One HTTP function for the
/// canonical API, so that no route ordering can send a call to the wrong one; each dialect has its own
/// (host.json's route prefix is empty: the routes carry their own).
/// </summary>
public sealed class ApiFunction(ApiDispatcher dispatcher)
{
    [Function(nameof(Api))]
    public Task Api([HttpTrigger(AuthorizationLevel.Anonymous, Route = "v2/{*action}")] HttpRequest request, string? action) =>
        dispatcher.HandleAsync(request.HttpContext, action ?? string.Empty);
}

/// <summary>ONLYOFFICE's task files and document upload → the Core dialect (<see cref="Dialects.OnlyOffice.OnlyOfficeEndpoints"/>).</summary>
public sealed class OnlyOfficeFunction(Dialects.OnlyOffice.OnlyOfficeEndpoints endpoints)
{
    [Function("OnlyOffice")]
    public Task OnlyOffice([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "delete", "options", Route = "api/2.0/project/task/{taskid}/files")] HttpRequest request, string? taskid) =>
        endpoints.HandleAsync(request.HttpContext, taskid);

    /// <summary>The same with ONLYOFFICE's <c>.json</c> suffix.</summary>
    [Function("OnlyOfficeJson")]
    public Task OnlyOfficeJson([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "delete", "options", Route = "api/2.0/project/task/{taskid}/files.json")] HttpRequest request, string? taskid) =>
        endpoints.HandleAsync(request.HttpContext, taskid);

    /// <summary>ONLYOFFICE's document upload into a folder (a task).</summary>
    [Function("OnlyOfficeUpload")]
    public Task OnlyOfficeUpload([HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "api/2.0/files/{folderid}/upload")] HttpRequest request, string? folderid) =>
        endpoints.HandleUploadAsync(request.HttpContext, folderid);

    [Function("OnlyOfficeUploadJson")]
    public Task OnlyOfficeUploadJson([HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "api/2.0/files/{folderid}/upload.json")] HttpRequest request, string? folderid) =>
        endpoints.HandleUploadAsync(request.HttpContext, folderid);
}

/// <summary>
/// Tallyfy's files and task data → the Core dialect (<see cref="Dialects.Tallyfy.TallyfyEndpoints"/>), which routes the rest
/// itself; under <c>/organizations/</c> and, as Tallyfy's own URLs, <c>/api/organizations/</c>.
/// </summary>
public sealed class TallyfyFunction(Dialects.Tallyfy.TallyfyEndpoints endpoints)
{
    [Function("Tallyfy")]
    public Task Tallyfy([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "delete", "options", Route = "organizations/{*rest}")] HttpRequest request, string? rest) =>
        endpoints.HandleAsync(request.HttpContext, rest);

    [Function("TallyfyApi")]
    public Task TallyfyApi([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "delete", "options", Route = "api/organizations/{*rest}")] HttpRequest request, string? rest) =>
        endpoints.HandleAsync(request.HttpContext, rest);
}
