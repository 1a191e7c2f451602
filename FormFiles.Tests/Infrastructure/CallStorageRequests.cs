using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// Counts the storage requests (retries included) that the host sends while it serves an HTTP call, and none
/// of its start-up or timer loops. Work that a call starts and leaves running (a batch that commits other calls'
/// changes too) counts as that call's, so a test sends its counted calls one at a time.
/// </summary>
public sealed class CallStorageRequests : HttpPipelineSynchronousPolicy
{
    private static readonly AsyncLocal<bool> InCall = new();

    private long count;

    public long Count => Interlocked.Read(ref count);

    public override void OnSendingRequest(HttpMessage message)
    {
        if (InCall.Value)
            Interlocked.Increment(ref count);
    }

    /// <summary>Adds the counter to every storage client of the host, and marks what its calls do.</summary>
    public void AddTo(IServiceCollection services)
    {
        services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(this, HttpPipelinePosition.PerCall)));
        services.AddSingleton<IStartupFilter>(new MarkCalls());
    }

    private sealed class MarkCalls : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, call) =>
            {
                InCall.Value = true;
                await call(context);
            });
            next(app);
        };
    }
}
