using System.Diagnostics;
using System.Globalization;

namespace FormFiles.Tests;

/// <summary>The DevHost as a developer runs it: its own Azurite, gone when the DevHost is stopped.</summary>
public sealed partial class DevHostProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Sigterm_stops_the_devhost_and_its_azurite()
    {
        using var devHost = StartDevHost();
        var baseUrl = await WaitForServingLineAsync(devHost);
        var azurite = Assert.Single(ChildrenOf(devHost.Id), pid => CommandLine(pid).Contains("azurite", StringComparison.Ordinal));
        using (var client = new HttpClient())
            Assert.True((await client.GetAsync(new Uri(baseUrl, "health"))).IsSuccessStatusCode);

        using (var kill = Process.Start("kill", ["-TERM", devHost.Id.ToString(CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        await devHost.WaitForExitAsync().WaitAsync(Patience);

        await WaitUntilAsync(() => !IsAlive(azurite));
        Assert.False(IsAlive(azurite), $"Azurite {azurite} outlived the DevHost");
    }

    [Fact]
    public async Task Demo_prints_an_admin_key_and_a_curl_sequence_that_reserves_uploads_and_submits()
    {
        using var devHost = StartDevHost(development: true, "--demo");
        var lines = new List<string>();
        var sequenceDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        devHost.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (lines)
                lines.Add(e.Data);
            if (e.Data == "# --- end ---")
                sequenceDone.TrySetResult();
        };
        devHost.ErrorDataReceived += (_, _) => { };
        devHost.BeginOutputReadLine();
        devHost.BeginErrorReadLine();
        try
        {
            await sequenceDone.Task.WaitAsync(Patience);
            string[] printed;
            lock (lines)
                printed = [.. lines];
            Assert.Contains(printed, l => l.StartsWith("Admin key for this run", StringComparison.Ordinal) && l.Contains("X-Admin-Key: dev-", StringComparison.Ordinal));
            var sequence = printed.SkipWhile(l => l != "# --- reserve, upload, submit ---").TakeWhile(l => l != "# --- end ---").ToList();

            var folder = Directory.CreateTempSubdirectory("formfiles-demo-");
            var script = Path.Combine(folder.FullName, "demo.sh");
            await File.WriteAllLinesAsync(script, ["set -e", .. sequence]);
            var bash = new ProcessStartInfo("bash", [script]) { WorkingDirectory = folder.FullName, RedirectStandardOutput = true, RedirectStandardError = true };
            using var run = Process.Start(bash)!;
            var output = await run.StandardOutput.ReadToEndAsync();
            await run.WaitForExitAsync().WaitAsync(Patience);

            Assert.True(run.ExitCode == 0, output + await run.StandardError.ReadToEndAsync());
            Assert.Contains("\"state\":\"uploaded\"", output, StringComparison.Ordinal);
            Assert.Contains("\"submitted\":\"", output, StringComparison.Ordinal);
            Assert.DoesNotContain("\"success\":false", output, StringComparison.Ordinal);
        }
        finally
        {
            using var kill = Process.Start("kill", ["-TERM", devHost.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            await devHost.WaitForExitAsync().WaitAsync(Patience);
        }
    }

    private static Process StartDevHost(bool development = false, params string[] arguments)
    {
        // The DevHost's own build output sits beside this project's, in the same configuration.
        var devHostFolder = AppContext.BaseDirectory.Replace("FormFiles.Tests", "FormFiles.DevHost", StringComparison.Ordinal);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = devHostFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(devHostFolder, "FormFiles.DevHost.dll"), "--urls", "http://127.0.0.1:0" }.Concat(arguments))
            start.ArgumentList.Add(argument);
        start.Environment.Remove("FormFiles__Storage__ConnectionString");
        start.Environment.Remove("FormFiles__AdminKey");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = development ? "Development" : "Production";
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the DevHost.");
    }

    private static async Task<Uri> WaitForServingLineAsync(Process devHost)
    {
        var serving = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        devHost.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && ServingLine().Match(e.Data) is { Success: true } match)
                serving.TrySetResult(new Uri(match.Groups["url"].Value));
        };
        devHost.ErrorDataReceived += (_, _) => { };
        devHost.BeginOutputReadLine();
        devHost.BeginErrorReadLine();
        return await serving.Task.WaitAsync(Patience);
    }

    private static IEnumerable<int> ChildrenOf(int parent) =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => int.TryParse(name, out _))
            .Select(name => int.Parse(name!, CultureInfo.InvariantCulture))
            .Where(pid => ParentOf(pid) == parent)
            .ToList();

    private static int? ParentOf(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string CommandLine(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');

    private static bool IsAlive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition() && DateTime.UtcNow < deadline)
            await Task.Delay(100);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"FormFiles is serving (?<url>http://\S+/v2/)")]
    private static partial System.Text.RegularExpressions.Regex ServingLine();
}
