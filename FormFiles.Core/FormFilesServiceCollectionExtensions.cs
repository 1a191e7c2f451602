using FormFiles.Api;
using FormFiles.Health;
using FormFiles.Storage;
using Microsoft.Extensions.Configuration;

namespace FormFiles;

public static class FormFilesServiceCollectionExtensions
{
    /// <summary>Everything the service needs, for both hosts (DevHost and Azure Functions).</summary>
    public static IServiceCollection AddFormFiles(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FormFilesOptions>()
            .Bind(configuration.GetSection(FormFilesOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FormFilesOptions>, FormFilesOptionsValidator>();
        services.AddStorageClients();
        services.AddSingleton<ApiDispatcher>();
        services.AddSingleton<IApiAction, HealthAction>();
        return services;
    }
}
