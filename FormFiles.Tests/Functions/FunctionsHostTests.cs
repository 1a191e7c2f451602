using System.Text.Json.Nodes;
using FormFiles.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Microsoft.Extensions.Options;

namespace FormFiles.Tests.Functions;

/// <summary>
/// FormFiles.Functions as the Azure Functions host sees it: the functions.metadata its SDK generates
/// (copied next to the tests by the project reference), and the services its Program builds.
/// </summary>
public sealed class FunctionsHostTests
{
    private static readonly Lazy<JsonArray> Metadata = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray());

    private static JsonObject Function(string name) =>
        Metadata.Value.Single(f => f!["name"]!.GetValue<string>() == name)!.AsObject();

    private static JsonObject Trigger(string name) => Assert.Single(Function(name)["bindings"]!.AsArray())!.AsObject();

    [Fact]
    public void The_app_has_one_http_function_per_api_one_blob_trigger_and_two_timers()
    {
        Assert.Equal(["Api", "BlobCreated", "Maintenance", "OnlyOffice", "OnlyOfficeJson", "OnlyOfficeUpload", "OnlyOfficeUploadJson", "Tallyfy", "TallyfyApi", "WebhookDeliveries"], Metadata.Value.Select(f => f!["name"]!.GetValue<string>()).Order());
        Assert.All(Metadata.Value, f => Assert.Equal("dotnet-isolated", f!["language"]!.GetValue<string>()));
    }

    [Fact]
    public void Every_api_call_and_health_reach_the_one_catch_all_http_function()
    {
        var trigger = Trigger("Api");

        Assert.Equal("httpTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal("v2/{*action}", trigger["route"]!.GetValue<string>());
        Assert.Equal("Anonymous", trigger["authLevel"]!.GetValue<string>());
        Assert.Null(trigger["methods"]); // Every method: the dispatcher answers 112 itself.
        Assert.Equal("FormFiles.Functions.ApiFunction.Api", Function("Api")["entryPoint"]!.GetValue<string>());
    }

    [Fact]
    public void Uploads_complete_from_event_grid_blob_events_of_form_files()
    {
        var trigger = Trigger("BlobCreated");

        Assert.Equal("blobTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal("form-files/{name}", trigger["path"]!.GetValue<string>());
        Assert.Equal("EventGrid", trigger["source"]!.GetValue<string>());
        Assert.Equal("FormFilesStorage", trigger["connection"]!.GetValue<string>());
    }

    [Fact]
    public void Maintenance_runs_every_five_minutes()
    {
        var trigger = Trigger("Maintenance");

        Assert.Equal("timerTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal("0 */5 * * * *", trigger["schedule"]!.GetValue<string>());
    }

    [Fact]
    public void Due_webhook_deliveries_run_every_thirty_seconds()
    {
        var trigger = Trigger("WebhookDeliveries");

        Assert.Equal("timerTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal("*/30 * * * * *", trigger["schedule"]!.GetValue<string>());
    }

    [Fact]
    public void Onlyoffice_task_files_reach_their_dialect()
    {
        var trigger = Trigger("OnlyOffice");

        Assert.Equal("api/2.0/project/task/{taskid}/files", trigger["route"]!.GetValue<string>());
        Assert.Equal(["delete", "get", "options", "post"], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>().ToLowerInvariant()).Order());
        Assert.Equal("Anonymous", trigger["authLevel"]!.GetValue<string>());
        var json = Trigger("OnlyOfficeJson"); // ONLYOFFICE's .json suffix.
        Assert.Equal("api/2.0/project/task/{taskid}/files.json", json["route"]!.GetValue<string>());
        Assert.Equal(["delete", "get", "options", "post"], json["methods"]!.AsArray().Select(m => m!.GetValue<string>().ToLowerInvariant()).Order());
        foreach (var (name, route) in new[] { ("OnlyOfficeUpload", "api/2.0/files/{folderid}/upload"), ("OnlyOfficeUploadJson", "api/2.0/files/{folderid}/upload.json") })
        {
            var upload = Trigger(name); // ONLYOFFICE's document upload.
            Assert.Equal(route, upload["route"]!.GetValue<string>());
            Assert.Equal(["options", "post"], upload["methods"]!.AsArray().Select(m => m!.GetValue<string>().ToLowerInvariant()).Order());
        }
    }

    [Fact]
    public void Tallyfy_organizations_reach_their_dialect()
    {
        var trigger = Trigger("Tallyfy");

        Assert.Equal("organizations/{*rest}", trigger["route"]!.GetValue<string>());
        Assert.Equal(["delete", "get", "options", "post", "put"], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>().ToLowerInvariant()).Order());
        var api = Trigger("TallyfyApi"); // Tallyfy's own base path.
        Assert.Equal("api/organizations/{*rest}", api["route"]!.GetValue<string>());
        Assert.Equal(["delete", "get", "options", "post", "put"], api["methods"]!.AsArray().Select(m => m!.GetValue<string>().ToLowerInvariant()).Order());
    }

    [Fact]
    public void Host_json_leaves_the_prefix_to_the_routes()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(DevHost.Azurite.AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory), "host.json")))!;

        Assert.Equal(string.Empty, host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
    }

    [Fact]
    public void Information_logs_metrics_and_traces_go_to_application_insights_through_opentelemetry()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1/";
        builder.Configuration["FormFiles:Storage:ClientId"] = "11111111-1111-1111-1111-111111111111";
        builder.Configuration["FormFiles:Storage:BlobServiceUri"] = "https://127.0.0.1/";
        builder.Configuration["FormFiles:Storage:TableServiceUri"] = "https://127.0.0.1/";
        builder.Configuration["FormFiles:SasSigning"] = "UserDelegation";
        builder.AddFormFilesFunctions();
        using var host = builder.Build();

        Assert.Contains(host.Services.GetServices<ILoggerProvider>(), provider => provider is OpenTelemetryLoggerProvider);
        Assert.NotNull(host.Services.GetService<MeterProvider>());
        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.True(host.Services.GetRequiredService<IOptions<OpenTelemetryLoggerOptions>>().Value.IncludeScopes, "The ids are logging scopes: without them no line carries them.");
        Assert.DoesNotContain(host.Services.GetServices<ILoggerProvider>(), provider => provider.GetType().FullName!.Contains("ApplicationInsights", StringComparison.Ordinal));
        // No rule keeps Core's lifecycle lines (Information) from the OpenTelemetry provider.
        var filters = host.Services.GetRequiredService<IOptions<LoggerFilterOptions>>().Value;
        Assert.True(filters.MinLevel <= LogLevel.Information);
        Assert.DoesNotContain(filters.Rules, rule => rule.LogLevel > LogLevel.Information
                                                     && (rule.ProviderName is null || rule.ProviderName == typeof(OpenTelemetryLoggerProvider).FullName)
                                                     && (rule.CategoryName is null || "FormFiles.Files.UploadCompletion".StartsWith(rule.CategoryName, StringComparison.Ordinal)));
        Assert.Equal(TimeSpan.FromMinutes(5), host.Services.GetRequiredService<IOptions<FormFilesOptions>>().Value.SweepInterval);
    }
}
