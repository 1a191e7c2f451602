using FormFiles;
using FormFiles.Api;
using FormFiles.DevHost;
using FormFiles.DevHost.Azurite;
using FormFiles.Telemetry;
using OpenTelemetry;
using Scalar.AspNetCore;

var persist = args.Contains(LocalStorage.PersistFlag);
var demo = args.Contains(Demo.Flag);
var builder = WebApplication.CreateBuilder(args.Where(a => a != LocalStorage.PersistFlag && a != Demo.Flag).ToArray());
await using var azurite = await LocalStorage.StartUnlessConfiguredAsync(builder, persist);
var madeAdminKey = Demo.EnsureAdminKey(builder);
builder.Services.AddFormFiles(builder.Configuration);
builder.Services.AddHostedService<ReconciliationLoop>();
builder.Services.AddHostedService<SweepLoop>();
if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
    builder.Services.AddOpenTelemetry().UseOtlpExporter(); // Metrics, traces and logs, to the endpoint the OTEL_* variables name.
else
    builder.Services.AddHostedService<CounterSummary>();

var app = builder.Build();
app.MapFormFiles();
app.MapScalarApiReference($"/{ApiRoutes.Prefix}/docs", scalar => scalar.WithTitle("FormFiles API").WithOpenApiRoutePattern($"/{ApiRoutes.Prefix}/openapi.json"));
app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (var url in app.Urls)
        Console.WriteLine($"FormFiles is serving {url.TrimEnd('/')}/{ApiRoutes.Prefix}/ (try {url.TrimEnd('/')}/{ApiRoutes.Prefix}/health)");
    if (madeAdminKey is not null)
        Console.WriteLine($"Admin key for this run (no FormFiles:AdminKey is configured): X-Admin-Key: {madeAdminKey}");
    var adminKey = app.Configuration[$"{FormFilesOptions.Section}:AdminKey"];
    if (demo && !string.IsNullOrEmpty(adminKey))
    {
        var api = new Uri($"{app.Urls.First().TrimEnd('/')}/{ApiRoutes.Prefix}/");
        _ = Task.Run(async () =>
        {
            try
            {
                await Demo.RunAsync(api, adminKey, Console.Out);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
            {
                Console.Error.WriteLine($"The demo could not be set up: {e.Message}");
            }
        });
    }
    else if (demo)
    {
        Console.Error.WriteLine("--demo needs the admin API: run in Development, or set FormFiles:AdminKey.");
    }
});
await app.RunAsync();

/// <summary>The DevHost entry point, public for WebApplicationFactory in the tests.</summary>
public partial class Program;
