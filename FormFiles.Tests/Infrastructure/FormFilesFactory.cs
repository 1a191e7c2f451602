using FormFiles.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// The DevHost's real pipeline on Kestrel (a loopback port), with the given settings, and with
/// the test-only actions of <see cref="TestActions"/> added beside the real ones.
/// </summary>
public sealed class FormFilesFactory : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> settings;
    private readonly Action<IServiceCollection>? configureServices;

    public FormFilesFactory(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null)
    {
        this.settings = settings;
        this.configureServices = configureServices;
        UseKestrel(0);
    }

    public static FormFilesFactory ForStorage(string connectionString, Action<IServiceCollection>? configureServices = null) =>
        new(new Dictionary<string, string?> { ["FormFiles:Storage:ConnectionString"] = connectionString }, configureServices);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("urls", "http://127.0.0.1:0");
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IApiAction, TestActions.Echo>();
            services.AddSingleton<IApiAction, TestActions.Fail>();
            services.AddSingleton<IApiAction, TestActions.StorageDown>();
            services.AddFakeLogging();
            configureServices?.Invoke(services);
        });
    }
}
