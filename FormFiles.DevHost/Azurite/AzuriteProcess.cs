using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace FormFiles.DevHost.Azurite;

/// <summary>
/// One Azurite (the storage emulator, pinned in package.json) as a child process on free loopback
/// ports. Installs it with <c>npm ci</c> when the repository's node_modules lacks it. Disposing
/// kills it; if this process dies first, Azurite notices its closed stdin and exits (see
/// azurite-launcher.js). Beside the development account it can serve further accounts, each a storage
/// namespace of its own (tables, blobs, queues) in the same process.
/// </summary>
public sealed partial class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public, documented, local only).</summary>
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process process;
    private readonly IReadOnlyDictionary<string, Uri> endpoints;

    private AzuriteProcess(Process process, IReadOnlyDictionary<string, Uri> endpoints, int accounts)
    {
        this.process = process;
        this.endpoints = endpoints;
        Accounts = accounts;
        BlobEndpoint = new Uri(endpoints["Blob"], AccountName);
        TableEndpoint = new Uri(endpoints["Table"], AccountName);
        QueueEndpoint = new Uri(endpoints["Queue"], AccountName);
        ConnectionString = ConnectionStringOf(AccountName, AccountKey);
    }

    public Uri BlobEndpoint { get; }

    public Uri TableEndpoint { get; }

    public Uri QueueEndpoint { get; }

    public string ConnectionString { get; }

    public int ProcessId => process.Id;

    /// <summary>How many accounts it serves beside the development account.</summary>
    public int Accounts { get; }

    /// <summary>The connection string of the further account <paramref name="index"/> (0 ≤ index &lt; <see cref="Accounts"/>).</summary>
    public string AccountConnectionString(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Accounts);
        var (name, key) = Account(index);
        return ConnectionStringOf(name, key);
    }

    /// <summary>Starts Azurite and waits until all three services listen.</summary>
    /// <param name="repositoryRoot">The folder holding package.json and node_modules.</param>
    /// <param name="persistFolder">Where to keep data across runs; null keeps it in memory only.</param>
    /// <param name="progress">Where to show npm's progress when it has to install Azurite.</param>
    /// <param name="accounts">Accounts to serve beside the development account (see <see cref="AccountConnectionString"/>).</param>
    public static async Task<AzuriteProcess> StartAsync(string repositoryRoot, string? persistFolder, TextWriter progress, int accounts = 0, CancellationToken cancellationToken = default)
    {
        var azurite = Path.Combine(repositoryRoot, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(azurite))
            await InstallAsync(repositoryRoot, progress, cancellationToken);

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = repositoryRoot,
        };
        foreach (var argument in Arguments(azurite, persistFolder))
            start.ArgumentList.Add(argument);
        if (accounts > 0)
        {
            // Azurite serves exactly the accounts this names, so the development account is named too.
            start.Environment["AZURITE_ACCOUNTS"] = string.Join(';', Enumerable.Range(0, accounts).Select(Account)
                .Prepend((Name: AccountName, Key: AccountKey)).Select(a => $"{a.Name}:{a.Key}"));
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        var endpoints = new Dictionary<string, Uri>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (endpoints)
            {
                output.AppendLine(e.Data);
                if (ListeningLine().Match(e.Data) is { Success: true } match)
                    endpoints[match.Groups["service"].Value] = new Uri(match.Groups["url"].Value + "/");
                if (endpoints.Count == 3)
                    ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (endpoints) output.AppendLine(e.Data);
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"Azurite exited at start:{Environment.NewLine}{output}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await ready.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch
        {
            Kill(process);
            throw;
        }

        return new AzuriteProcess(process, endpoints, accounts);
    }

    public async ValueTask DisposeAsync()
    {
        Kill(process);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    /// <summary>The repository root: the nearest folder above <paramref name="start"/> that holds package-lock.json.</summary>
    public static string FindRepositoryRoot(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "package-lock.json")))
                return folder.FullName;
        }

        throw new InvalidOperationException($"No package-lock.json above {start}: run from a clone of the FormFiles repository.");
    }

    private string ConnectionStringOf(string name, string key) =>
        $"DefaultEndpointsProtocol=http;AccountName={name};AccountKey={key};"
        + $"BlobEndpoint={new Uri(endpoints["Blob"], name)};QueueEndpoint={new Uri(endpoints["Queue"], name)};TableEndpoint={new Uri(endpoints["Table"], name)};";

    /// <summary>A further account's name and key: local, made up, the same in every run.</summary>
    private static (string Name, string Key) Account(int index) =>
        ($"account{index:D4}", Convert.ToBase64String(Encoding.ASCII.GetBytes($"formfiles-local-account-key-{index:D4}")));

    private static IEnumerable<string> Arguments(string azurite, string? persistFolder)
    {
        yield return Path.Combine(AppContext.BaseDirectory, "azurite-launcher.js");
        yield return azurite;
        foreach (var argument in new[] { "--blobHost", "127.0.0.1", "--blobPort", "0", "--queueHost", "127.0.0.1", "--queuePort", "0", "--tableHost", "127.0.0.1", "--tablePort", "0", "--skipApiVersionCheck", "--silent" })
            yield return argument;
        if (persistFolder is null)
        {
            yield return "--inMemoryPersistence";
        }
        else
        {
            yield return "--location";
            yield return persistFolder;
        }
    }

    private static async Task InstallAsync(string repositoryRoot, TextWriter progress, CancellationToken cancellationToken)
    {
        await progress.WriteLineAsync("Azurite is not installed yet: running 'npm ci' (one time)...");
        var start = new ProcessStartInfo("npm") { WorkingDirectory = repositoryRoot, UseShellExecute = false };
        foreach (var argument in new[] { "ci", "--no-audit", "--no-fund" })
            start.ArgumentList.Add(argument);
        using var npm = Process.Start(start) ?? throw new InvalidOperationException("Could not start npm: install Node.js 20 or newer.");
        await npm.WaitForExitAsync(cancellationToken);
        if (npm.ExitCode != 0)
            throw new InvalidOperationException($"'npm ci' failed with exit code {npm.ExitCode} in {repositoryRoot}.");
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at (?<url>http://\S+)")]
    private static partial Regex ListeningLine();
}
