using System.Diagnostics;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Clients;

/// <summary>
/// A client generated from the served <c>/v2/openapi.json</c> by Kiota (a standard generator, pinned in
/// .config/dotnet-tools.json) compiles untouched and completes reserve → upload → submit → read.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class GeneratedClientTests(ServiceFixture service)
{
    private static readonly string Templates = Path.Combine(AppContext.BaseDirectory, "Clients", "Generated");

    [Fact]
    public async Task A_Kiota_client_of_the_document_compiles_and_completes_an_upload()
    {
        using var folder = new TemporaryFolder();
        var document = Path.Combine(folder.Path, "openapi.json");
        await File.WriteAllBytesAsync(document, await service.Client.GetByteArrayAsync("/v2/openapi.json"));

        var root = NodeModules.Root;
        await RunAsync(root, "dotnet", "tool", "restore");
        var generated = await RunAsync(root, "dotnet", "kiota", "generate", "-l", "CSharp", "-d", document, "-o", Path.Combine(folder.Path, "gen"),
            "-n", "FormFiles.Client", "-c", "FormFilesClient", "--exclude-backward-compatible", "--clean-output", "--log-level", "Warning");
        Assert.DoesNotMatch(@"(?m)^\s*(fail|crit):", generated); // An OpenAPI error Kiota reports is a document to fix.

        File.Copy(Path.Combine(Templates, "Driver.csproj.template"), Path.Combine(folder.Path, "Driver.csproj"));
        File.Copy(Path.Combine(Templates, "Driver.cs.template"), Path.Combine(folder.Path, "Driver.cs"));
        await RunAsync(folder.Path, "dotnet", "build", "-c", "Release", "-nologo", "-v", "quiet");

        var user = await service.Client.NewUserAsync();
        const long quota = 3L << 30; // Byte counts are int64 in the document: past int32, as an admin may set it.
        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["quota_bytes"] = quota })).AssertOk();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync([new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo", ["required"] = true }]));
        var baseUrl = service.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);
        var output = await RunAsync(folder.Path, "dotnet", Path.Combine("bin", "Release", "net10.0", "Driver.dll"), baseUrl, user.Hash, task.ToString(System.Globalization.CultureInfo.InvariantCulture), "photo");

        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task })).AssertOk();
        var file = form.Body["files"]!.AsArray().Single()!;
        Assert.Equal("uploaded", file["state"]!.GetValue<string>());
        Assert.True(file["bindings"]!["form_field"]!["submitted"]!.GetValue<bool>(), output);
        Assert.Contains($"read {file["id"]}: Uploaded", output, StringComparison.Ordinal);
        Assert.Contains($"of {quota} bytes", output, StringComparison.Ordinal);
    }

    /// <summary>Runs a command to its end; its output, or a failure that shows it.</summary>
    private static async Task<string> RunAsync(string directory, string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command, arguments)
        {
            WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment =
            {
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1",
                ["KIOTA_OFFLINE_ENABLED"] = "true", ["KIOTA_TUTORIAL_ENABLED"] = "false",
            },
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var all = await output + await errors;
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{all}");
        return all;
    }
}
