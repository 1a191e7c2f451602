using System.Net;
using System.Text.Json.Nodes;
using FormFiles.WorkerHost.Rpc;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FormFiles.WorkerHost;

/// <summary>What to serve: the built worker's directory, the HTTP port, and the app settings the worker gets as environment variables.</summary>
public sealed record WorkerHostOptions(string AppDirectory, IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>The HTTP port the functions are served on (0: any free port).</summary>
    public int Port { get; init; }

    /// <summary>Whether timer functions run on their schedules (the standalone command); tests invoke them instead.</summary>
    public bool RunTimers { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Each line the worker logs over its stream, as it comes (the standalone command prints them, as <c>func start</c> does).</summary>
    public Action<string>? OnWorkerLog { get; init; }
}

/// <summary>
/// A Functions host of our own for one .NET isolated worker: starts the worker process on a loopback gRPC port, goes
/// through the start-up exchange (StartStream, WorkerInitRequest, FunctionsMetadataRequest, FunctionLoadRequest), then
/// serves the functions: HTTP requests proxied to the worker's <c>HttpUri</c> with their InvocationRequest, timers with
/// <c>TimerInfo</c>, and the Event Grid blob trigger with the model binding data of the Blobs extension.
/// </summary>
public sealed partial class FunctionsWorkerHost : IAsyncDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan TerminateGrace = TimeSpan.FromSeconds(10);

    private readonly WebApplication rpc;
    private readonly WorkerChannel channel;
    private readonly WorkerProcess process;
    private readonly WorkerHostOptions options;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly HttpClient proxy = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };
    private WebApplication? front;
    private Task timers = Task.CompletedTask;

    private FunctionsWorkerHost(WebApplication rpc, WorkerChannel channel, WorkerProcess process, WorkerHostOptions options)
    {
        this.rpc = rpc;
        this.channel = channel;
        this.process = process;
        this.options = options;
        logger = (options.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<FunctionsWorkerHost>();
    }

    /// <summary>Where the functions are served (HTTP).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The worker's own ASP.NET Core server, which HTTP requests are proxied to.</summary>
    public Uri WorkerHttpUri { get; private set; } = null!;

    /// <summary>The worker process's exit code once it has exited (0 when it ended itself after WorkerTerminate).</summary>
    public int? WorkerExitCode => process.ExitCode;

    /// <summary>Completes when the worker's process has exited (of itself, or stopped).</summary>
    public Task Stopped => process.Exited;

    /// <summary>What the worker answered to WorkerInitRequest.</summary>
    public IReadOnlyDictionary<string, string> Capabilities { get; private set; } = new Dictionary<string, string>();

    public IReadOnlyList<HostedFunction> Functions { get; private set; } = [];

    /// <summary>What the worker logged over its stream, and wrote to its console: for a test that fails.</summary>
    public string WorkerOutput => $"--- worker logs\n{channel.Logs}\n--- worker console\n{process.Output}";

    /// <summary>Starts the worker and loads its functions; fails with the worker's own error when it does not start.</summary>
    public static async Task<FunctionsWorkerHost> StartAsync(WorkerHostOptions options)
    {
        var appDirectory = Path.GetFullPath(options.AppDirectory);
        var channel = new WorkerChannel(Guid.NewGuid().ToString(), options.OnWorkerLog);
        var rpcBuilder = WebApplication.CreateSlimBuilder();
        rpcBuilder.Logging.ClearProviders();
        rpcBuilder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        rpcBuilder.Services.AddSingleton(channel);
        rpcBuilder.Services.AddGrpc(g =>
        {
            g.MaxReceiveMessageSize = null;
            g.MaxSendMessageSize = null;
        });
        var rpcApp = rpcBuilder.Build();
        rpcApp.MapGrpcService<FunctionRpcService>();
        await rpcApp.StartAsync();
        var rpcUri = new Uri(rpcApp.Urls.Single());

        WorkerProcess process;
        try
        {
            process = WorkerProcess.Start(appDirectory, rpcUri, channel.WorkerId, options.Settings);
        }
        catch
        {
            await rpcApp.DisposeAsync();
            throw;
        }

        var host = new FunctionsWorkerHost(rpcApp, channel, process, options with { AppDirectory = appDirectory });
        try
        {
            await host.InitializeAsync();
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a non-HTTP function once, with the input its trigger gets from the host; throws the worker's error when it fails.</summary>
    public Task<InvocationResponse> InvokeTimerAsync(string function, CancellationToken cancellationToken = default) =>
        InvokeAsync(Function(function, "timerTrigger"), Triggers.Timer, cancellationToken);

    /// <summary>The blob trigger of <paramref name="function"/> for a blob that was created (its Event Grid source).</summary>
    public Task<InvocationResponse> InvokeBlobCreatedAsync(string function, string blobName, CancellationToken cancellationToken = default) =>
        InvokeBlobCreatedAsync(function, blobName, null, cancellationToken);

    private Task<InvocationResponse> InvokeBlobCreatedAsync(string function, string blobName, Uri? blobUri, CancellationToken cancellationToken)
    {
        var hosted = Function(function, "blobTrigger");
        return InvokeAsync(hosted, (trigger, request) => Triggers.BlobCreated(trigger, blobName, blobUri, request), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (stopping.IsCancellationRequested)
            return;
        await stopping.CancelAsync();
        await timers.ContinueWith(_ => { }, TaskScheduler.Default); // A timer loop's own failure was logged; it stops nothing here.
        if (channel.Connected.IsCompletedSuccessfully && !channel.Closed.IsCompleted)
        {
            try
            {
                await channel.SendAsync(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TerminateGrace) } });
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or Grpc.Core.RpcException)
            {
                // The stream went meanwhile: the process is ended below.
            }
        }

        await process.StopAsync(TerminateGrace);
        await process.DisposeAsync();
        if (front is not null)
            await front.DisposeAsync();
        await rpc.DisposeAsync();
        proxy.Dispose();
        stopping.Dispose();
    }

    private async Task InitializeAsync()
    {
        var started = await Task.WhenAny(channel.Connected, process.Exited, Task.Delay(options.StartTimeout));
        if (started != channel.Connected)
        {
            throw new WorkerHostException(started == process.Exited
                ? $"The worker exited with code {process.ExitCode} before it connected.\n{WorkerOutput}"
                : $"The worker did not connect within {options.StartTimeout}.\n{WorkerOutput}");
        }

        var init = (await RequestAsync(new StreamingMessage
        {
            WorkerInitRequest = new WorkerInitRequest { HostVersion = HostVersion, WorkerDirectory = options.AppDirectory, FunctionAppDirectory = options.AppDirectory },
        })).WorkerInitResponse;
        Succeeded(init?.Result, "WorkerInitRequest");
        Capabilities = init!.Capabilities.ToDictionary();

        var indexed = (await RequestAsync(new StreamingMessage { FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = options.AppDirectory } })).FunctionMetadataResponse;
        Succeeded(indexed?.Result, "FunctionsMetadataRequest");
        var routePrefix = RoutePrefix(options.AppDirectory);
        var metadata = indexed!.UseDefaultMetadataIndexing ? HostedFunction.FromMetadataFile(options.AppDirectory) : indexed.FunctionMetadataResults;
        Functions = metadata.Select(m => HostedFunction.FromWorker(m, routePrefix)).ToList();

        var loads = await Task.WhenAll(Functions.Select(f => RequestAsync(new StreamingMessage { FunctionLoadRequest = new FunctionLoadRequest { FunctionId = f.Id, Metadata = f.Metadata } })));
        foreach (var (function, load) in Functions.Zip(loads))
            Succeeded(load.FunctionLoadResponse?.Result, $"FunctionLoadRequest of {function.Name}");

        if (Functions.Any(f => f.TriggerType.Equals("httpTrigger", StringComparison.OrdinalIgnoreCase)))
        {
            WorkerHttpUri = Capabilities.TryGetValue("HttpUri", out var httpUri)
                ? new Uri(httpUri)
                : throw new WorkerHostException("The worker has HTTP functions but reported no HttpUri capability (the ASP.NET Core integration is not configured).\n" + WorkerOutput);
            await WaitForWorkerHttpAsync();
        }

        await StartFrontAsync();
        if (options.RunTimers)
            timers = RunTimersAsync(stopping.Token);
    }

    /// <summary>The worker reports its HttpUri before its server listens: requests are served once it accepts connections.</summary>
    private async Task WaitForWorkerHttpAsync()
    {
        var deadline = DateTime.UtcNow + options.StartTimeout;
        while (true)
        {
            using var probe = new System.Net.Sockets.TcpClient();
            try
            {
                await probe.ConnectAsync(WorkerHttpUri.Host, WorkerHttpUri.Port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline && !process.ExitCode.HasValue)
            {
                await Task.Delay(50);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                throw new WorkerHostException($"The worker's HTTP server at {WorkerHttpUri} did not accept connections ({e.SocketErrorCode}).\n{WorkerOutput}");
            }
        }
    }

    /// <summary>The host version the worker is told: a Functions v4 host.</summary>
    private const string HostVersion = "4.1041.200";

    private async Task<StreamingMessage> RequestAsync(StreamingMessage request)
    {
        var answer = channel.RequestAsync(request, RequestTimeout);
        if (await Task.WhenAny(answer, process.Exited) != answer)
            throw new WorkerHostException($"The worker exited with code {process.ExitCode} during {request.ContentCase}.\n{WorkerOutput}");
        return await answer;
    }

    private void Succeeded(StatusResult? result, string step)
    {
        if (result?.Status != StatusResult.Types.Status.Success)
            throw new WorkerHostException($"The worker failed {step}: {result?.Exception?.Type} {result?.Exception?.Message}\n{result?.Exception?.StackTrace}\n{WorkerOutput}");
    }

    private HostedFunction Function(string name, string triggerType) =>
        Functions.SingleOrDefault(f => f.Name == name && f.TriggerType.Equals(triggerType, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"The worker has no {triggerType} function {name}.", nameof(name));

    private async Task<InvocationResponse> InvokeAsync(HostedFunction function, Action<JsonObject, InvocationRequest> input, CancellationToken cancellationToken)
    {
        var request = NewInvocation(function);
        input(function.Trigger, request);
        var response = await channel.InvokeAsync(request, cancellationToken);
        if (response.Result?.Status != StatusResult.Types.Status.Success)
            throw new WorkerHostException($"{function.Name} failed: {response.Result?.Exception?.Type} {response.Result?.Exception?.Message}");
        return response;
    }

    private static InvocationRequest NewInvocation(HostedFunction function) => new()
    {
        InvocationId = Guid.NewGuid().ToString(),
        FunctionId = function.Id,
        // A W3C traceparent, as the host always sends: the current activity's, or a new trace.
        TraceContext = new RpcTraceContext
        {
            TraceParent = System.Diagnostics.Activity.Current?.Id is { Length: 55 } current
                ? current
                : $"00-{System.Diagnostics.ActivityTraceId.CreateRandom()}-{System.Diagnostics.ActivitySpanId.CreateRandom()}-01",
        },
    };

    /// <summary>host.json's <c>extensions.http.routePrefix</c>, "api" when it says none (as the host and the worker read it).</summary>
    private static string RoutePrefix(string appDirectory)
    {
        var path = Path.Combine(appDirectory, "host.json");
        var prefix = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })?["extensions"]?["http"]?["routePrefix"]?.GetValue<string>() : null;
        return (prefix ?? "api").Trim('/');
    }
}
