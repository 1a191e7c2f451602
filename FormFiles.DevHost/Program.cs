using FormFiles;
using FormFiles.Api;
using FormFiles.DevHost;
using FormFiles.DevHost.Azurite;

var persist = args.Contains(LocalStorage.PersistFlag);
var builder = WebApplication.CreateBuilder(args.Where(a => a != LocalStorage.PersistFlag).ToArray());
await using var azurite = await LocalStorage.StartUnlessConfiguredAsync(builder, persist);
builder.Services.AddFormFiles(builder.Configuration);
builder.Services.AddHostedService<ReconciliationLoop>();
builder.Services.AddHostedService<SweepLoop>();

var app = builder.Build();
app.MapFormFiles();
app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (var url in app.Urls)
        Console.WriteLine($"FormFiles is serving {url.TrimEnd('/')}/{ApiRoutes.Prefix}/ (try {url.TrimEnd('/')}/{ApiRoutes.Prefix}/health)");
});
await app.RunAsync();

/// <summary>The DevHost entry point, public for WebApplicationFactory in the tests.</summary>
public partial class Program;
