using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Functions;

/// <summary>
/// The Functions host's wiring: ASP.NET Core integration, the Core services, and OpenTelemetry (Core's
/// setup, the worker's invocation spans) exported to Application Insights with the app's managed identity.
/// No Application Insights SDK: nothing drops Information lines; host.json and <c>Logging</c> decide.
/// </summary>
public static class FunctionsSetup
{
    public static FunctionsApplicationBuilder AddFormFilesFunctions(this FunctionsApplicationBuilder builder)
    {
        builder.ConfigureFunctionsWebApplication();
        builder.Services
            .AddFormFiles(builder.Configuration)
            .PostConfigure<FormFilesOptions>(options => options.SweepInterval = MaintenanceFunction.Interval);

        var telemetry = builder.Services.AddOpenTelemetry().UseFunctionsWorkerDefaults(); // Core added its meter, sources and logs.
        if (!string.IsNullOrEmpty(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
        {
            telemetry.UseAzureMonitorExporter(exporter =>
                exporter.Credential = Storage.ServiceCredential.Create(builder.Configuration[$"{FormFilesOptions.Section}:Storage:ClientId"]));
        }

        return builder;
    }
}
