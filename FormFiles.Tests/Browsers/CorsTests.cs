using System.Net;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Browsers;

/// <summary>What a browser sends before and with a cross-origin call, on every route: the preflight needs no key and touches no storage.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class CorsTests(ServiceFixture service)
{
    private const string Page = "http://127.0.0.1:5173";

    private readonly CallStorageRequests storageRequests = new();

    private FormFilesFactory Host(params string[] origins)
    {
        var settings = new Dictionary<string, string?>(service.NewStorage().Settings);
        if (origins.Length > 0)
            settings["FormFiles:Cors:AllowedOrigins"] = string.Join(',', origins);
        return new FormFilesFactory(settings, storageRequests.AddTo);
    }

    private static HttpRequestMessage Preflight(string path, string method, string origin = Page) => new(HttpMethod.Options, path)
    {
        Headers =
        {
            { "Origin", origin },
            { "Access-Control-Request-Method", method },
            { "Access-Control-Request-Headers", "authorization,content-type,idempotency-key" },
        },
    };

    [Theory]
    [InlineData("/v2/task/form/file/create", "POST")]
    [InlineData("/v2/fsm/task/form/submit", "POST")]
    [InlineData("/api/2.0/project/task/1/files", "DELETE")]
    [InlineData("/organizations/1/runs/1/tasks/1", "PUT")]
    public async Task A_preflight_from_an_allowed_origin_is_answered_without_a_key(string path, string method)
    {
        await using var host = Host(Page);
        var client = host.CreateClient();
        var before = storageRequests.Count;
        using var answer = await client.SendAsync(Preflight(path, method));
        Assert.Equal(before, storageRequests.Count);

        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal(Page, answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains(method, answer.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Contains("authorization", answer.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_call_from_an_allowed_origin_may_read_the_answer_and_its_request_id()
    {
        await using var host = Host(Page);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/health") { Headers = { { "Origin", Page } } };
        using var answer = await host.CreateClient().SendAsync(request);

        Assert.Equal(Page, answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("X-Request-Id", answer.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5174")]
    [InlineData("null")]
    [InlineData("http://127.0.0.1:5173.evil.example")]
    public async Task Other_origins_get_no_cors_headers(string origin)
    {
        await using var host = Host(Page);
        using var answer = await host.CreateClient().SendAsync(Preflight("/v2/task/read", "POST", origin));

        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Without_configured_origins_no_page_may_call()
    {
        await using var host = Host();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/health") { Headers = { { "Origin", Page } } };
        using var answer = await host.CreateClient().SendAsync(request);
        using var preflight = await host.CreateClient().SendAsync(Preflight("/v2/task/read", "POST"));

        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, preflight.StatusCode); // An OPTIONS is then a call like any other: 112.
    }

    [Theory]
    [InlineData("https://example.com/app")]
    [InlineData("example.com")]
    [InlineData("ftp://example.com")]
    public void An_allowed_origin_that_is_no_origin_stops_the_start(string origin)
    {
        var failures = new List<string>();
        new FormFiles.Api.CorsOptions { AllowedOrigins = origin }.Validate("FormFiles:Cors", failures);
        Assert.Contains(failures, f => f.Contains(origin, StringComparison.Ordinal));
    }
}
