using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace FormFiles.WorkerHost;

/// <summary>
/// The worker as its own process, started the way the Functions host starts a .NET isolated worker: the executable and
/// assembly of the app's <c>worker.config.json</c>, in the app's directory, with the host's arguments (the old
/// <c>--host/--port/…</c> and the <c>--functions-*</c> ones) and the host's environment beside the app settings.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    /// <summary>The host's default (RpcWorkerConstants.DefaultMaxMessageLengthBytes).</summary>
    private const int MaxMessageLength = int.MaxValue;

    private const int OutputLines = 200;

    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();
    private int? exitCode;
    private Process? watchdog;

    private WorkerProcess(Process process, string workerId)
    {
        this.process = process;
        WorkerId = workerId;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
    }

    public string WorkerId { get; }

    /// <summary>Completes when the process exits.</summary>
    public Task Exited => process.WaitForExitAsync();

    /// <summary>The process's exit code once it has exited (kept after it is disposed).</summary>
    public int? ExitCode => exitCode ?? (process.HasExited ? process.ExitCode : null);

    /// <summary>The last lines the worker wrote to its console (where it says why it did not start).</summary>
    public string Output => string.Join('\n', output);

    public static WorkerProcess Start(string appDirectory, Uri rpcUri, string workerId, IReadOnlyDictionary<string, string> settings)
    {
        var description = JsonNode.Parse(File.ReadAllText(Path.Combine(appDirectory, "worker.config.json")))!["description"]!;
        var executable = description["defaultExecutablePath"]!.GetValue<string>();
        var assembly = Path.Combine(appDirectory, description["defaultWorkerPath"]!.GetValue<string>());
        var info = new ProcessStartInfo(executable)
        {
            WorkingDirectory = appDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        var requestId = Guid.NewGuid().ToString();
        var worker = new WorkerProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, workerId);
        info.ArgumentList.Add(assembly);
        foreach (var argument in new[]
                 {
                     "--host", rpcUri.Host, "--port", rpcUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--workerId", worker.WorkerId, "--requestId", requestId, "--grpcMaxMessageLength", MaxMessageLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--functions-uri", rpcUri.AbsoluteUri, "--functions-worker-id", worker.WorkerId, "--functions-request-id", requestId,
                     "--functions-grpc-max-message-length", MaxMessageLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
                 })
        {
            info.ArgumentList.Add(argument);
        }

        // What the host sets for every worker (RpcWorkerProcess), then the app settings, as the host passes them: environment
        // variables. Nothing of this process's own FormFiles settings reaches the worker: only the given ones.
        foreach (var inherited in info.Environment.Keys.Where(k => k.StartsWith("FormFiles", StringComparison.OrdinalIgnoreCase) || k.StartsWith("AzureWebJobs", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(inherited);
        info.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        info.Environment["FUNCTIONS_WORKER_DIRECTORY"] = appDirectory;
        info.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = appDirectory;
        info.Environment["AzureWebJobsScriptRoot"] = appDirectory;
        info.Environment["FUNCTIONS_EXTENSION_VERSION"] = "~4";
        foreach (var (key, value) in settings)
            info.Environment[key] = value;

        worker.process.Start();
        worker.process.BeginOutputReadLine();
        worker.process.BeginErrorReadLine();
        worker.watchdog = Watchdog(worker.process.Id);
        return worker;
    }

    /// <summary>
    /// The .NET worker does not end when its host's stream goes (the real host kills it), so a host that dies without
    /// stopping it (a killed test run) would leave it serving: a shell beside it ends the worker once this process is gone.
    /// </summary>
    private static Process? Watchdog(int workerPid)
    {
        if (OperatingSystem.IsWindows())
            return null;
        var watch = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        watch.ArgumentList.Add("-c");
        watch.ArgumentList.Add($"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; kill -9 {workerPid} 2>/dev/null");
        return Process.Start(watch);
    }

    /// <summary>Waits up to <paramref name="grace"/> for the worker to end by itself (after WorkerTerminate), then ends it.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (process.HasExited)
            return;
        try
        {
            await process.WaitForExitAsync().WaitAsync(grace);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        exitCode = process.ExitCode;
        process.Dispose();
        if (watchdog is { HasExited: false })
            watchdog.Kill();
        watchdog?.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        output.Enqueue(line);
        while (output.Count > OutputLines)
            output.TryDequeue(out _);
    }
}
