using System.Runtime.InteropServices;

namespace FormFiles.WorkerHost;

/// <summary>
/// <c>dotnet run --project FormFiles.WorkerHost -- --storage "&lt;connection string&gt;" [--port 7071] [--app &lt;dir&gt;] [--setting Key=Value …]</c>:
/// serves the built FormFiles.Functions worker on the port, against the storage, with its timers on their schedules, until Ctrl+C.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        string? storage = null, app = null;
        var port = 7071;
        var settings = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--storage": storage = args[i + 1]; break;
                case "--port": port = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--app": app = args[i + 1]; break;
                case "--setting" when args[i + 1].Contains('=', StringComparison.Ordinal):
                    settings[args[i + 1][..args[i + 1].IndexOf('=', StringComparison.Ordinal)]] = args[i + 1][(args[i + 1].IndexOf('=', StringComparison.Ordinal) + 1)..];
                    break;
                default: return Usage($"unknown argument {args[i]}");
            }
        }

        if (storage is null)
            return Usage("--storage is required");
        app ??= WorkerApp.BuiltDirectory();
        using var loggers = LoggerFactory.Create(l => l.AddSimpleConsole(c => c.SingleLine = true));
        await using var host = await FunctionsWorkerHost.StartAsync(new WorkerHostOptions(app, WorkerApp.Settings(storage, settings)) { Port = port, RunTimers = true, LoggerFactory = loggers, OnWorkerLog = PrintWorkerLog });
        Console.WriteLine($"FormFiles.Functions (worker {app}) on {host.BaseAddress}: {string.Join(", ", host.Functions.Select(f => $"{f.Name} ({f.TriggerType})"))}");
        Console.WriteLine($"Blob events: POST {host.BaseAddress}runtime/webhooks/blobs?functionName=Host.Functions.BlobCreated; a timer now: POST {host.BaseAddress}admin/functions/Maintenance");
        // Ctrl+C or a SIGTERM stops the worker as the host does (WorkerTerminate, then its exit), not leaving it behind.
        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stop.Cancel();
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var stopped = Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        if (await Task.WhenAny(stopped, host.Stopped) == host.Stopped)
        {
            Console.Error.WriteLine($"The worker exited by itself (code {host.WorkerExitCode}).\n{host.WorkerOutput.Split("--- worker console")[^1]}");
            return 1;
        }

        return 0;
    }

    /// <summary>The worker's lines at Information and above, as the host's default log level (host.json sets none).</summary>
    private static void PrintWorkerLog(string line)
    {
        if (!line.StartsWith("[Trace]", StringComparison.Ordinal) && !line.StartsWith("[Debug]", StringComparison.Ordinal))
            Console.WriteLine(line);
    }

    private static int Usage(string error)
    {
        Console.Error.WriteLine($"{error}\nusage: dotnet run --project FormFiles.WorkerHost -- --storage <connection string> [--port 7071] [--app <FormFiles.Functions output>] [--setting Key=Value ...]");
        return 2;
    }
}
