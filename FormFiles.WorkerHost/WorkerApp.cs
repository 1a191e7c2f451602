namespace FormFiles.WorkerHost;

/// <summary>Where the built FormFiles.Functions is, and the app settings it needs (those of local.settings.sample.json).</summary>
public static class WorkerApp
{
    /// <summary>FormFiles.Functions' output of the same configuration as this host, in the repository this host was built in.</summary>
    public static string BuiltDirectory()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        for (var directory = here; directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FormFiles.sln")))
            {
                // …/<project>/bin/<configuration>/<framework>/
                var framework = here.Name;
                var configuration = here.Parent!.Name;
                return Path.Combine(directory.FullName, "FormFiles.Functions", "bin", configuration, framework);
            }
        }

        throw new DirectoryNotFoundException($"No FormFiles.sln above {AppContext.BaseDirectory}: say where the worker is with --app.");
    }

    /// <summary>The Functions app's settings for <paramref name="storage"/>: the runtime's own storage, Core's, and the blob trigger's connection.</summary>
    public static Dictionary<string, string> Settings(string storage, IReadOnlyDictionary<string, string>? more = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage,
            ["FormFiles__Storage__ConnectionString"] = storage,
            ["FormFilesStorage"] = storage,
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string>())
            settings[key] = value;
        return settings;
    }
}
