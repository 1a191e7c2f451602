using System.Diagnostics;
using FormFiles.DevHost.Azurite;

namespace FormFiles.Tests.Infrastructure;

/// <summary>The repository's node_modules, with the pinned npm packages the tests run (installed first when a clone's are older than package.json).</summary>
public static class NodeModules
{
    private static readonly SemaphoreSlim Install = new(1, 1);

    public static string Root { get; } = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);

    /// <summary>The folder of <paramref name="package"/> (e.g. <c>@redocly/cli</c>), installed if missing.</summary>
    public static async Task<string> PackageAsync(string package)
    {
        var folder = Path.Combine(Root, "node_modules", package);
        await Install.WaitAsync();
        try
        {
            if (!Directory.Exists(folder))
            {
                var npm = new ProcessStartInfo("npm") { WorkingDirectory = Root, UseShellExecute = false };
                foreach (var argument in new[] { "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error" }) // Not ci: that would remove the Azurite the run is using.
                    npm.ArgumentList.Add(argument);
                using var installing = Process.Start(npm)!;
                await installing.WaitForExitAsync();
            }
        }
        finally
        {
            Install.Release();
        }

        return folder;
    }
}
