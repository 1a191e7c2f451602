using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.ApplicationInsights;

namespace FormFiles.Functions;

/// <summary>The Functions host's wiring: ASP.NET Core integration, Application Insights, and the Core services.</summary>
public static class FunctionsSetup
{
    public static FunctionsApplicationBuilder AddFormFilesFunctions(this FunctionsApplicationBuilder builder)
    {
        builder.ConfigureFunctionsWebApplication();
        builder.Services
            .AddApplicationInsightsTelemetryWorkerService()
            .ConfigureFunctionsApplicationInsights()
            .AddFormFiles(builder.Configuration)
            .PostConfigure<FormFilesOptions>(options => options.SweepInterval = MaintenanceFunction.Interval);

        // The Application Insights SDK adds a rule that keeps only Warning and above for its provider, so
        // Core's Information lifecycle lines would never arrive. Without it, host.json and Logging decide.
        builder.Services.Configure<LoggerFilterOptions>(options =>
        {
            var warningsOnly = options.Rules.FirstOrDefault(rule => rule.ProviderName == typeof(ApplicationInsightsLoggerProvider).FullName
                                                                    && rule.CategoryName is null && rule.LogLevel == LogLevel.Warning);
            if (warningsOnly is not null)
                options.Rules.Remove(warningsOnly);
        });
        return builder;
    }
}
