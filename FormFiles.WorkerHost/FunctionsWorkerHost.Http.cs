using System.Net;
using System.Text.Json.Nodes;
using FormFiles.WorkerHost.Rpc;
using Microsoft.AspNetCore.Routing;

namespace FormFiles.WorkerHost;

/// <summary>
/// The host's HTTP side: a request for an HTTP function goes to the worker's own server (its <c>HttpUri</c>) with the
/// invocation's id in <c>x-ms-invocation-id</c>, while the InvocationRequest goes over gRPC, as the host does with the
/// ASP.NET Core integration. Beside it, two of the host's own endpoints: <c>POST /admin/functions/{name}</c> runs a
/// non-HTTP function, and <c>POST /runtime/webhooks/blobs</c> takes Event Grid's BlobCreated events for the blob trigger.
/// </summary>
public sealed partial class FunctionsWorkerHost
{
    private const string InvocationHeader = "x-ms-invocation-id";

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
    };

    private async Task StartFrontAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.Port);
            k.Limits.MaxRequestBodySize = null; // The worker's own limits apply, as behind the real host's.
        });
        front = builder.Build();
        front.Run(ServeAsync);
        await front.StartAsync();
        BaseAddress = new Uri(front.Urls.Single());
    }

    private Task ServeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (HttpMethods.IsPost(context.Request.Method) && path.StartsWith("/admin/functions/", StringComparison.OrdinalIgnoreCase))
            return RunFunctionAsync(context, path["/admin/functions/".Length..]);
        if (HttpMethods.IsPost(context.Request.Method) && path.Equals("/runtime/webhooks/blobs", StringComparison.OrdinalIgnoreCase))
            return BlobEventsAsync(context);
        foreach (var function in Functions)
        {
            var values = new RouteValueDictionary();
            if (function.Matches(context.Request, values))
                return ProxyAsync(context, function, values);
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    private async Task ProxyAsync(HttpContext context, HostedFunction function, RouteValueDictionary values)
    {
        var invocation = NewInvocation(function);
        invocation.InputData.Add(new ParameterBinding { Name = function.TriggerName, Data = new TypedData { Http = new RpcHttp() } });
        foreach (var (key, value) in values)
            invocation.TriggerMetadata[key] = new TypedData { String = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty };
        var invoked = channel.InvokeAsync(invocation, context.RequestAborted);

        using var forward = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(WorkerHttpUri, context.Request.Path + context.Request.QueryString));
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            forward.Content = new StreamContent(context.Request.Body);
        foreach (var (name, value) in context.Request.Headers)
        {
            if (!HopByHop.Contains(name) && !forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value))
                forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value);
        }

        forward.Headers.TryAddWithoutValidation(InvocationHeader, invocation.InvocationId);
        try
        {
            using var response = await proxy.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, value) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                    context.Response.Headers[name] = value.ToArray();
            }

            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            ProxyFailed(logger, e, function.Name);
            channel.Note($"proxying {context.Request.Method} {context.Request.Path} to {function.Name} failed: {e}");
            if (!context.Response.HasStarted)
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        var result = await invoked;
        if (result.Result?.Status != StatusResult.Types.Status.Success)
        {
            InvocationFailed(logger, function.Name, result.Result?.Exception?.Message);
            channel.Note($"{function.Name} failed: {result.Result?.Exception?.Message}");
        }
    }

    /// <summary>The host's manual run of a non-HTTP function: a timer with its TimerInfo, a blob trigger with <c>{"input": "container/blob"}</c>.</summary>
    private async Task RunFunctionAsync(HttpContext context, string name)
    {
        var function = Functions.FirstOrDefault(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (function is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false) as JsonObject;
        var input = body?["input"]?.GetValue<string>() ?? string.Empty;
        await AnswerAsync(context, function.TriggerType.ToLowerInvariant() switch
        {
            "timertrigger" => InvokeTimerAsync(function.Name, context.RequestAborted),
            "blobtrigger" when input.StartsWith(Triggers.Container(function.Trigger) + "/", StringComparison.Ordinal) =>
                InvokeBlobCreatedAsync(function.Name, input[(Triggers.Container(function.Trigger).Length + 1)..], context.RequestAborted),
            _ => null,
        });
    }

    /// <summary>Event Grid's delivery of BlobCreated events (Event Grid schema) to the blob trigger named by <c>functionName=Host.Functions.{name}</c>.</summary>
    private async Task BlobEventsAsync(HttpContext context)
    {
        var name = context.Request.Query["functionName"].ToString().Replace("Host.Functions.", string.Empty, StringComparison.Ordinal);
        var function = Functions.FirstOrDefault(f => f.Name == name && f.TriggerType.Equals("blobTrigger", StringComparison.OrdinalIgnoreCase));
        var events = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonArray;
        if (function is null || events is null)
        {
            context.Response.StatusCode = function is null ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest;
            return;
        }

        var container = Triggers.Container(function.Trigger);
        foreach (var blobEvent in events.OfType<JsonObject>().Where(e => e["eventType"]?.GetValue<string>() == "Microsoft.Storage.BlobCreated"))
        {
            var url = new Uri(blobEvent["data"]!["url"]!.GetValue<string>());
            var segments = url.AbsolutePath.Split('/');
            var at = Array.IndexOf(segments, container);
            if (at < 0)
                continue;
            var blob = Uri.UnescapeDataString(string.Join('/', segments[(at + 1)..]));
            await InvokeBlobCreatedAsync(function.Name, blob, context.RequestAborted);
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private static async Task AnswerAsync(HttpContext context, Task<InvocationResponse>? invocation)
    {
        if (invocation is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        try
        {
            await invocation;
            context.Response.StatusCode = StatusCodes.Status202Accepted;
        }
        catch (WorkerHostException e)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsync(e.Message, context.RequestAborted);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Proxying a request to {Function} failed")]
    private static partial void ProxyFailed(ILogger logger, Exception exception, string function);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Function} failed: {Error}")]
    private static partial void InvocationFailed(ILogger logger, string function, string? error);
}
