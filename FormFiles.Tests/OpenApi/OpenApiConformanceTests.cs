using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using FormFiles.Api;
using FormFiles.DevHost.Azurite;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Tests.OpenApi;

/// <summary>
/// The OpenAPI document against the real service. Every answer of every test host is validated as it leaves
/// (<see cref="ApiConformance"/>); this collection runs after all the others, sends a sample of every
/// documented operation itself (a success and a refusal where it can), and then requires that nothing the
/// whole run answered broke the document and that every operation was answered.
/// </summary>
[Collection(Collection)]
public sealed class OpenApiConformanceTests(OpenApiConformanceTests.Host host) : IClassFixture<OpenApiConformanceTests.Host>
{
    public const string Collection = "openapi conformance";

    private HttpClient Client => host.Client;

    private FormFilesFactory Factory => host.Factory;

    [Fact]
    public async Task Every_answer_of_the_run_is_described_by_the_document_and_every_operation_is_answered()
    {
        await new OperationSamples(Client, host.Clock, () => Factory.Services.GetRequiredService<FormFiles.Files.Maintenance>().SweepAsync(CancellationToken.None)).SendAllAsync();

        Assert.True(ApiConformance.Violations.IsEmpty, $"{ApiConformance.Violations.Count} answers the document does not describe:\n" + string.Join("\n", ApiConformance.Violations.Take(40)));
        var unanswered = ApiConformance.All.Where(operation => !ApiConformance.Exercised.ContainsKey(operation)).ToList();
        Assert.True(unanswered.Count == 0, "Never answered: " + string.Join(", ", unanswered));
        var neverSucceeded = ApiConformance.All.Where(operation => !ApiConformance.Exercised[operation].Keys.Any(status => status is >= 200 and < 400)).ToList();
        Assert.True(neverSucceeded.Count == 0, "Never succeeded: " + string.Join(", ", neverSucceeded));
    }

    [Fact]
    public async Task The_document_is_served_and_names_every_action_and_both_dialects()
    {
        var response = await Client.GetAsync("/v2/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("3.1.1", document["openapi"]!.GetValue<string>());
        var served = Factory.Services.GetServices<IApiAction>().Where(a => a.GetType().Assembly == typeof(IApiAction).Assembly).Select(a => $"/v2/{a.Name}").Order();
        var documented = document["paths"]!.AsObject().Select(p => p.Key).Where(p => p.StartsWith("/v2/", StringComparison.Ordinal)).Order();
        Assert.Equal(served, documented);
        Assert.Contains("/api/2.0/project/task/{taskid}/files", document["paths"]!.AsObject().Select(p => p.Key));
        Assert.Contains(document["paths"]!.AsObject(), p => p.Key.StartsWith("/organizations/", StringComparison.Ordinal));
        Assert.Equal(["file.deleted", "file.expired", "file.rejected", "file.uploaded", "form.submitted", "webhook.test"], document["webhooks"]!.AsObject().Select(w => w.Key).Order());
    }

    [Fact]
    public async Task The_devhost_serves_a_reference_page_of_the_document_at_v2_docs()
    {
        var page = await Client.GetAsync("/v2/docs/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(html.Contains("openapi.json", StringComparison.Ordinal), html);
        var script = await Client.GetAsync("/v2/docs/scalar.js"); // Served by the host itself, no CDN.
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    /// <summary>An Azurite and a host of their own, with webhooks allowed to the loopback receiver.</summary>
    public sealed class Host : IAsyncLifetime
    {
        private AzuriteProcess azurite = null!;

        public FormFilesFactory Factory { get; private set; } = null!;

        public ShiftedClock Clock { get; } = new();

        public HttpClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            azurite = await AzuriteProcess.StartAsync(AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory), persistFolder: null, TextWriter.Null);
            Factory = new FormFilesFactory(new Dictionary<string, string?>(ServiceFixture.FastWebhooks)
            {
                ["FormFiles:Storage:ConnectionString"] = azurite.ConnectionString,
                ["FormFiles:AdminKey"] = Scenario.AdminKey,
                ["FormFiles:Webhooks:AllowPrivateTargets"] = "true",
            }, services => services.AddSingleton<TimeProvider>(Clock));
            Factory.StartServer();
            Client = Factory.CreateClient();
        }

        public async Task DisposeAsync()
        {
            Client.Dispose();
            await Factory.DisposeAsync();
            await azurite.DisposeAsync();
        }
    }
}

/// <summary>The check itself: what it must refuse, and what it must let pass.</summary>
public sealed class ApiConformanceCheckTests
{
    [Theory]
    [InlineData("GET", "/v2/health", 200, """{"success":true,"storage":{"tables":"ok","blobs":"ok"},"sweep":{"interval_seconds":60,"last_completed":null,"age_seconds":null,"pending_after_last_pass":null,"late":false},"pending":{"oldest_due":null,"age_seconds":null},"webhooks":{"oldest_due":null,"age_seconds":null},"extra":1}""")]
    [InlineData("GET", "/v2/health", 200, """{"success":true,"storage":{"tables":"ok","blobs":"ok"}}""")]
    [InlineData("POST", "/v2/task/read", 418, """{"success":false,"status":{"code":7,"description":"x"}}""")]
    [InlineData("POST", "/v2/task/read", 400, """{"success":false,"status":{"code":201,"description":"x"},"errors":"no"}""")]
    [InlineData("POST", "/v2/task/read", 400, """{"success":false,"status":{"code":268,"description":"over quota, in the wrong status"}}""")]
    [InlineData("GET", "/api/2.0/project/task/1/files", 200, """{"count":1}""")]
    [InlineData("DELETE", "/organizations/1/file/2", 200, "not json")]
    [InlineData("GET", "/v2/health", 200, "")]
    [InlineData("POST", "/v2/TASK/READ/", 200, """{"success":true}""")]
    [InlineData("PUT", "/v2/task/read", 405, """{"success":false,"status":{"code":7,"description":"x"}}""")]
    [InlineData("GET", "/v2/no/such/action", 404, "Not Found")]
    public void An_answer_the_document_does_not_describe_is_a_violation(string method, string path, int status, string body) =>
        Assert.NotNull(ApiConformance.Check(method, path, status, "application/json; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(body)));

    [Theory]
    [InlineData("""{"type":"file.uploaded","timestamp":"2026-11-30T17:00:00.000Z","data":{}}""")]
    [InlineData("""{"type":"file.unheard_of","timestamp":"2026-11-30T17:00:00.000Z","data":{}}""")]
    [InlineData("not json")]
    public void A_webhook_payload_the_document_does_not_describe_is_a_violation(string body) =>
        Assert.NotNull(ApiConformance.CheckWebhook(body));

    [Theory]
    [InlineData("POST", "/v2/task/read", 400, """{"success":false,"status":{"code":201,"description":"Task not found"}}""")]
    [InlineData("POST", "/v2/Task/Read/", 400, """{"success":false,"status":{"code":201,"description":"Task not found"}}""")]
    [InlineData("PUT", "/v2/task/read", 405, """{"success":false,"status":{"code":112,"description":"Wrong method"}}""")]
    [InlineData("GET", "/v2/no/such/action", 404, """{"success":false,"status":{"code":111,"description":"Wrong handler"}}""")]
    [InlineData("GET", "/v2/test/echo", 200, "anything")]
    public void An_answer_the_document_describes_is_not(string method, string path, int status, string body) =>
        Assert.Null(ApiConformance.Check(method, path, status, "application/json", System.Text.Encoding.UTF8.GetBytes(body)));
}

[CollectionDefinition(OpenApiConformanceTests.Collection, DisableParallelization = true)]
public sealed class OpenApiConformanceCollection;
