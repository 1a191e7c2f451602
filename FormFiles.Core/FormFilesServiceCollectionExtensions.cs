using FormFiles.Admin;
using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Calls;
using FormFiles.Files;
using FormFiles.Health;
using FormFiles.Quota;
using FormFiles.Storage;
using FormFiles.Submissions;
using FormFiles.Tasks;
using FormFiles.Telemetry;
using FormFiles.Templates;
using FormFiles.Usage;
using FormFiles.Webhooks;
using Polly;
using Microsoft.Extensions.Configuration;

namespace FormFiles;

public static class FormFilesServiceCollectionExtensions
{
    /// <summary>Everything the service needs, for both hosts (DevHost and Azure Functions).</summary>
    public static IServiceCollection AddFormFiles(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FormFilesOptions>()
            .Bind(configuration.GetSection(FormFilesOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FormFilesOptions>, FormFilesOptionsValidator>();
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(RequestLimits.Configure);
        services.AddStorageClients();
        services.AddSingleton<Tables>();
        services.AddHostedService<StorageInitializer>();
        services.AddSingleton<IdAllocator>();
        services.AddSingleton<Turns>();
        services.AddCors();
        services.AddSingleton<Api.CrossOrigin>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<AdminGate>();
        services.AddSingleton<TemplateStore>();
        services.AddSingleton<TaskStore>();
        services.AddSingleton<KickoffTasks>();
        services.AddSingleton<TaskList>();
        services.AddSingleton<RecentTasks>();
        services.AddSingleton<QuotaLedger>();
        services.AddSingleton<UserDelegationKeys>();
        services.AddSingleton<FileBlobs>();
        services.AddSingleton<Reservations>();
        services.AddSingleton<UploadCompletion>();
        services.AddSingleton<Reconciliation>();
        services.AddSingleton<Sweeper>();
        services.AddSingleton<ItemBackoff>();
        services.AddSingleton<Maintenance>();
        services.AddSingleton<SweepRecord>();
        services.AddSingleton<Backlogs>();
        services.AddSingleton<FileViews>();
        services.AddSingleton<FileRemoval>();
        services.AddSingleton<FormSubmission>();
        services.AddSingleton<TaskAttachments>();
        services.AddSingleton<MultipartUploads>();
        services.AddSingleton<ApiDispatcher>();
        services.AddSingleton<KeyedCalls>();
        services.AddSingleton<Dialects.OnlyOffice.OnlyOfficeEndpoints>();
        services.AddSingleton<Dialects.Tallyfy.TallyfyEndpoints>();
        services.AddSingleton<RateLimits>();
        services.AddSingleton<IdempotencyKeys>();
        services.AddSingleton<UsageMeter>();
        services.AddHostedService<UsageFlusher>();
        services.AddWebhooks();
        services.AddFormFilesTelemetry();

        services.AddSingleton<IApiAction, HealthAction>();
        services.AddSingleton<IApiAction, Api.OpenApi.OpenApiAction>();
        services.AddSingleton<IApiAction, UserCreateAction>();
        services.AddSingleton<IApiAction, UserReadAction>();
        services.AddSingleton<IApiAction, ApiKeyCreateAction>();
        services.AddSingleton<IApiAction, ApiKeyRevokeAction>();
        services.AddSingleton<IApiAction, UserUpdateAction>();
        services.AddSingleton<IApiAction, UsageReadAction>();
        services.AddSingleton<IApiAction, AdminUsageReadAction>();
        services.AddSingleton<IApiAction, TemplateCreateAction>();
        services.AddSingleton<IApiAction, TemplateReadAction>();
        services.AddSingleton<IApiAction, TemplateListAction>();
        services.AddSingleton<IApiAction, TemplateDeleteAction>();
        services.AddSingleton<IApiAction, TaskCreateAction>();
        services.AddSingleton<IApiAction, TaskReadAction>();
        services.AddSingleton<IApiAction, TaskListAction>();
        services.AddSingleton<IApiAction, TaskDeleteAction>();
        services.AddSingleton<IApiAction, TaskStatusChangeAction>();
        services.AddSingleton<IApiAction, TaskFormCreateAction>();
        services.AddSingleton<IApiAction, TaskFormReadAction>();
        services.AddSingleton<IApiAction, TaskFormDeleteAction>();
        services.AddSingleton<IApiAction, FileCreateAction>();
        services.AddSingleton<IApiAction, FileStatsAction>();
        services.AddSingleton<IApiAction, FileUploadAction>();
        services.AddSingleton<IApiAction, FileReadAction>();
        services.AddSingleton<IApiAction, FileDownloadAction>();
        services.AddSingleton<DownloadLinks>();
        services.AddHttpContextAccessor();
        services.AddSingleton<ServedRequest>();
        services.AddSingleton<IApiAction, FileDeleteAction>();
        services.AddSingleton<IApiAction, TaskFileCreateAction>();
        services.AddSingleton<IApiAction, TaskFileAttachAction>();
        services.AddSingleton<IApiAction, TaskFileDetachAction>();
        services.AddSingleton<IApiAction, TaskFileListAction>();
        services.AddSingleton<IApiAction, TaskFormSubmitAction>();
        services.AddSingleton<IApiAction, TaskFormValuesUpdateAction>();
        services.AddSingleton<IApiAction, TaskFormValuesMergeAction>();
        services.AddSingleton<IApiAction, WebhookCreateAction>();
        services.AddSingleton<IApiAction, WebhookListAction>();
        services.AddSingleton<IApiAction, WebhookReadAction>();
        services.AddSingleton<IApiAction, WebhookUpdateAction>();
        services.AddSingleton<IApiAction, WebhookDeleteAction>();
        services.AddSingleton<IApiAction, WebhookRotateAction>();
        services.AddSingleton<IApiAction, WebhookTestAction>();
        services.AddSingleton<IApiAction, WebhookDeliveryListAction>();
        services.AddSingleton<IApiAction, WebhookDeliveryRetryAction>();
        return services;
    }

    /// <summary>
    /// Webhooks: the store, the relay and the delivery runner (both hosted, in both hosts), and the
    /// named client every attempt goes through: no redirects, private targets refused when it connects,
    /// each attempt limited by a resilience pipeline's timeout.
    /// </summary>
    private static void AddWebhooks(this IServiceCollection services)
    {
        services.AddSingleton<WebhookStore>();
        services.AddSingleton<WebhookDeliveries>();
        services.AddSingleton<DeliveryRetention>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<TargetGuard>();
        services.AddSingleton<WebhookRelay>();
        services.AddHostedService(provider => provider.GetRequiredService<WebhookRelay>());
        services.AddHostedService<WebhookRunner>();
        services.AddHttpClient(WebhookSender.ClientName)
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false, // The guard must judge the target's own address, not a proxy's.
                ConnectCallback = provider.GetRequiredService<TargetGuard>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            })
            .AddResilienceHandler("webhook-attempt", (pipeline, context) =>
                pipeline.AddTimeout(context.ServiceProvider.GetRequiredService<IOptions<FormFilesOptions>>().Value.Webhooks.Timeout));
    }
}
