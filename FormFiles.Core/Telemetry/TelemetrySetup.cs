using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FormFiles.Telemetry;

/// <summary>
/// The one OpenTelemetry setup of both hosts: the <c>FormFiles</c> meter and activity source, the Azure SDK's
/// own activities (so its storage calls appear inside ours), ASP.NET Core's request spans, and logs with
/// their scopes (the ids). It only configures: a host that exports (OTLP, Azure Monitor, a test's in-memory
/// exporter) turns the signals on, and one that does not pays for no activity nobody reads.
/// </summary>
public static class TelemetrySetup
{
    public static IServiceCollection AddFormFilesTelemetry(this IServiceCollection services)
    {
        // The Azure SDK emits its activities through an ActivitySource only when asked to.
        AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true);
        services.TryAddSingleton<FormFilesMetrics>();
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics
            .ConfigureResource(Service)
            .AddMeter(FormFilesMetrics.MeterName));
        // ASP.NET Core's request span is the parent of an API call's: with it unsampled, the call's would be dropped too.
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .ConfigureResource(Service)
            .AddSource(Lifecycle.SourceName, "Azure.*", "Microsoft.AspNetCore"));
        services.ConfigureOpenTelemetryLoggerProvider(logging => logging.ConfigureResource(Service));
        services.Configure<OpenTelemetryLoggerOptions>(logging => logging.IncludeScopes = true);
        return services;
    }

    private static void Service(ResourceBuilder resource) => resource.AddService(FormFilesMetrics.MeterName);
}
