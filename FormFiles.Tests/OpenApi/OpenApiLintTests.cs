using System.Diagnostics;
using FormFiles.Api.OpenApi;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.OpenApi;

/// <summary>What generators and API tooling check first: the served document passes <c>@redocly/cli lint</c> with its recommended rules, without a warning.</summary>
public sealed class OpenApiLintTests
{
    [Fact]
    public async Task The_document_passes_redocly_s_recommended_rules_without_a_warning()
    {
        var cli = Path.Combine(await NodeModules.PackageAsync(Path.Combine("@redocly", "cli")), "bin", "cli.js");
        using var folder = new TemporaryFolder();
        var document = Path.Combine(folder.Path, "openapi.json");
        await File.WriteAllBytesAsync(document, ApiDocument.Utf8);
        var start = new ProcessStartInfo("node", [cli, "lint", document, "--extends=recommended", "--format=stylish"])
        {
            WorkingDirectory = folder.Path, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment = { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true" },
        };
        using var lint = Process.Start(start)!;
        var output = lint.StandardOutput.ReadToEndAsync();
        var errors = lint.StandardError.ReadToEndAsync();
        await lint.WaitForExitAsync();
        var all = await output + await errors;

        Assert.True(lint.ExitCode == 0, all);
        // The problems, one a line: "1:2  error  rule  message" (Node's own deprecation notice is no finding).
        Assert.DoesNotMatch(@"(?m)^\s*\d+:\d+\s+(error|warning)\s", await output);
        Assert.Contains("Your API description is valid", all, StringComparison.Ordinal);
    }
}
