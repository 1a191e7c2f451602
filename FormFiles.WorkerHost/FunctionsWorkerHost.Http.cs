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

    /// <summary>
    /// As the host's proxy (YARP's default transformer): the request to the worker's own server, without the client's Host and
    /// <c>X-Forwarded-*</c>, with <c>X-Forwarded-For/-Proto/-Host</c> of this request (the worker's forwarded-headers middleware
    /// trusts its loopback caller), and the invocation's id; its InvocationRequest carries the route values and the query and
    /// headers as trigger metadata. A client that goes away cancels the invocation (InvocationCancel).
    /// </summary>
    private async Task ProxyAsync(HttpContext context, HostedFunction function, RouteValueDictionary values)
    {
        var request = context.Request;
        var invocation = NewInvocation(function);
        invocation.InputData.Add(new ParameterBinding { Name = function.TriggerName, Data = new TypedData { Http = new RpcHttp() } });
        foreach (var (key, value) in values)
        {
            if (Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) is { Length: > 0 } text)
                invocation.TriggerMetadata[key] = new TypedData { String = text };
        }

        invocation.TriggerMetadata["Query"] = new TypedData { Json = new JsonObject(request.Query.Select(q => KeyValuePair.Create(q.Key, (JsonNode?)q.Value.ToString()))).ToJsonString() };
        invocation.TriggerMetadata["Headers"] = new TypedData { Json = new JsonObject(request.Headers.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value.ToString()))).ToJsonString() };
        var invoked = channel.InvokeAsync(invocation, stopping.Token);
        await using var cancel = context.RequestAborted.Register(() => _ = CancelAsync(invocation.InvocationId));

        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(WorkerHttpUri, request.Path + request.QueryString));
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
            forward.Content = new StreamContent(request.Body);
        else if (request.ContentType is not null)
            forward.Content = new ByteArrayContent([]);
        foreach (var (name, value) in request.Headers)
        {
            if (!HopByHop.Contains(name) && !name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase) && !forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value))
                forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value);
        }

        forward.Headers.TryAddWithoutValidation("X-Forwarded-For", context.Connection.RemoteIpAddress?.ToString());
        forward.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        forward.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
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
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            if (!context.RequestAborted.IsCancellationRequested)
            {
                ProxyFailed(logger, e, function.Name);
                channel.Note($"proxying {request.Method} {request.Path} to {function.Name} failed: {e}");
            }

            if (!context.Response.HasStarted)
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }

        try
        {
            var result = await invoked;
            if (result.Result?.Status != StatusResult.Types.Status.Success)
            {
                InvocationFailed(logger, function.Name, result.Result?.Exception?.Message);
                channel.Note($"{function.Name} failed: {result.Result?.Exception?.Message}");
            }
        }
        catch (Exception e) when (e is WorkerHostException or OperationCanceledException)
        {
            channel.Note($"{function.Name}'s invocation {invocation.InvocationId} got no answer: {e.Message}");
        }
    }

    private async Task CancelAsync(string invocationId)
    {
        try
        {
            await channel.SendAsync(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = invocationId } });
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or Grpc.Core.RpcException)
        {
            // The worker is gone: nothing to cancel.
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
            await InvokeBlobCreatedAsync(function.Name, blob, new Uri(url.GetLeftPart(UriPartial.Path)), context.RequestAborted);
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
