using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FormFiles.Telemetry;

/// <summary>
/// The one OpenTelemetry setup of both hosts: the <c>FormFiles</c> meter and activity source, the Azure SDK's
/// own activities (so its storage calls appear inside ours), ASP.NET Core's request spans, and logs. Each
/// host adds its exporter.
/// </summary>
public static class TelemetrySetup
{
    public static IOpenTelemetryBuilder AddFormFilesTelemetry(this IServiceCollection services)
    {
        // The Azure SDK emits its activities through an ActivitySource only when asked to.
        AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true);
        services.TryAddSingleton<FormFilesMetrics>();
        return services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(FormFilesMetrics.MeterName))
            .WithMetrics(metrics => metrics.AddMeter(FormFilesMetrics.MeterName))
            // ASP.NET Core's request span is the parent of an API call's: with it unsampled, the call's would be dropped too.
            .WithTracing(tracing => tracing.AddSource(Lifecycle.SourceName, "Azure.*", "Microsoft.AspNetCore"))
            .WithLogging();
    }
}
