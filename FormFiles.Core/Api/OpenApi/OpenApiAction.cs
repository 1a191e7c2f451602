namespace FormFiles.Api.OpenApi;

/// <summary><c>GET /v2/openapi.json</c>, no key: the OpenAPI 3.1 document (<see cref="ApiDocument"/>) as it is, not in an envelope.</summary>
internal sealed class OpenApiAction : IApiAction
{
    public string Name => "openapi.json";

    public bool UsesApiKey => false;

    public Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new ApiAnswer(ApiDocument.Utf8, StatusCodes.Status200OK));
}
