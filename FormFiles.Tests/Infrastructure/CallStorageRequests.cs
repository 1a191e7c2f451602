using System.Globalization;
using System.Runtime.CompilerServices;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// Counts the storage requests (retries included) that the host sends while it serves HTTP calls, and none of
/// its start-up or timer loops: <see cref="Count"/> in all, and each call's own in its <see cref="Header"/>
/// (written when the answer starts). Work that a call starts and leaves running (a batch that commits other
/// calls' changes too) counts as that call's.
/// </summary>
public sealed class CallStorageRequests : HttpPipelineSynchronousPolicy
{
    /// <summary>The answer's header with the storage requests of its call, up to the moment the answer started.</summary>
    public const string Header = "X-Test-Storage-Requests";

    private static readonly AsyncLocal<StrongBox<long>?> InCall = new();

    private long count;

    public long Count => Interlocked.Read(ref count);

    public override void OnSendingRequest(HttpMessage message)
    {
        if (InCall.Value is { } call)
        {
            Interlocked.Increment(ref call.Value);
            Interlocked.Increment(ref count);
        }
    }

    /// <summary>Adds the counter to every storage client of the host, and marks what its calls do.</summary>
    public void AddTo(IServiceCollection services)
    {
        services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(this, HttpPipelinePosition.PerRetry)));
        services.AddSingleton<IStartupFilter>(new MarkCalls());
    }

    /// <summary>The storage requests of the call that <paramref name="response"/> answers.</summary>
    public static long Of(HttpResponseMessage response) =>
        long.Parse(response.Headers.GetValues(Header).Single(), CultureInfo.InvariantCulture);

    private sealed class MarkCalls : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, call) =>
            {
                var box = new StrongBox<long>();
                InCall.Value = box;
                context.Response.OnStarting(() =>
                {
                    context.Response.Headers[Header] = Interlocked.Read(ref box.Value).ToString(CultureInfo.InvariantCulture);
                    return Task.CompletedTask;
                });
                await call(context);
            });
            next(app);
        };
    }
}
