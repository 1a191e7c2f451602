using System.Net;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;
using FormFiles.WorkerHost;

namespace FormFiles.Tests.Functions;

/// <summary>The production worker starts through the host's side of its protocol, loads every function, and serves health and both dialects' routes.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class WorkerStartupTests(ServiceFixture service)
{
    [Fact]
    public async Task The_worker_loads_every_function_of_its_metadata_and_reports_its_http_server()
    {
        await using var worker = await Worker.StartAsync(service.NewStorage());

        Assert.Equal(["Api", "BlobCreated", "Maintenance", "OnlyOffice", "OnlyOfficeJson", "OnlyOfficeUpload", "OnlyOfficeUploadJson", "Tallyfy", "TallyfyApi", "WebhookDeliveries"], worker.Host.Functions.Select(f => f.Name).Order());
        // The ASP.NET Core integration (ConfigureFunctionsWebApplication) is what reports the worker's own HTTP server.
        Assert.True(worker.Host.WorkerHttpUri.IsLoopback, worker.Host.WorkerHttpUri.ToString());
        Assert.Equal(worker.Host.WorkerHttpUri, new Uri(worker.Host.Capabilities["HttpUri"]));
    }

    [Fact]
    public async Task Stopping_the_host_ends_the_worker_by_its_own_exit_after_worker_terminate()
    {
        var worker = await Worker.StartAsync(service.NewStorage());

        await worker.DisposeAsync();

        Assert.True(worker.Host.WorkerExitCode == 0, $"exit code {worker.Host.WorkerExitCode} (137: killed)\n{worker.Host.WorkerOutput.Split("--- worker console")[^1]}"); // It stopped itself.
    }

    [Fact]
    public async Task Health_and_both_dialects_answer_through_the_worker()
    {
        await using var worker = await Worker.StartAsync(service.NewStorage());

        var health = await Envelope.ReadAsync(await worker.Client.GetAsync("/v2/health"));
        Assert.True(health.Success, health.Raw);
        Assert.Equal("ok", health.Body["storage"]!["tables"]!.GetValue<string>());

        var unknown = await Envelope.ReadAsync(await worker.Client.GetAsync("/v2/no/such/action"));
        Assert.Equal((HttpStatusCode.NotFound, 111), (unknown.HttpStatus, unknown.Code));

        using var tallyfy = await worker.Client.GetAsync("/organizations/1/file/1");
        Assert.Equal(HttpStatusCode.Unauthorized, tallyfy.StatusCode);
        Assert.Equal(3, JsonNode.Parse(await tallyfy.Content.ReadAsStringAsync())!["code"]!.GetValue<int>());

        using var onlyOffice = await worker.Client.GetAsync("/api/2.0/project/task/1/files");
        Assert.Equal(HttpStatusCode.Unauthorized, onlyOffice.StatusCode);
        Assert.Equal(401, JsonNode.Parse(await onlyOffice.Content.ReadAsStringAsync())!["statusCode"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_worker_whose_settings_fail_validation_does_not_start_and_the_host_says_why_in_the_workers_words()
    {
        var options = Worker.Options(service.NewStorage(), ("FormFiles:RateLimit:TrustedProxies", "99"));

        var failure = await Assert.ThrowsAsync<WorkerHostException>(() => FunctionsWorkerHost.StartAsync(options));

        Assert.Contains("TrustedProxies", failure.Message, StringComparison.Ordinal);
    }
}
