using System.Diagnostics;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Tests.Browsers;

/// <summary>
/// A real browser (headless Chromium, Debian's <c>chromium</c>, which <c>.ci/run</c> installs) on a page served
/// from another loopback origin: it reserves, uploads through the SAS and with Navixy's multipart form, and submits.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class ChromiumTests(ServiceFixture service)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task A_page_on_another_origin_reserves_uploads_both_ways_and_submits()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (.ci/run does)");
        var result = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var page = await PageServerAsync(result);
        var origin = page.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');

        var storage = service.NewStorage();
        var settings = new Dictionary<string, string?>(storage.Settings) { ["FormFiles:Cors:AllowedOrigins"] = origin };
        await using var host = new FormFilesFactory(settings);
        var client = host.CreateClient();
        await FormFiles.DevHost.Azurite.LocalStorage.AllowOriginsAsync(storage.ConnectionString, [origin]); // As the DevHost sets it.
        var user = await client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync([new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" }]));

        var url = $"{origin}/?api={Uri.EscapeDataString(new Uri(client.BaseAddress!, "/v2/").ToString())}&hash={user.Hash}&task={task}";
        using var profile = new TemporaryFolder();
        using var browser = Process.Start(new ProcessStartInfo(Chromium, ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={profile.Path}", url])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        browser.OutputDataReceived += (_, _) => { };
        browser.ErrorDataReceived += (_, _) => { };
        browser.BeginOutputReadLine();
        browser.BeginErrorReadLine();
        try
        {
            var outcome = await result.Task.WaitAsync(TimeSpan.FromSeconds(90)); // Only a failing page waits this long.
            Assert.True(outcome["ok"]!.GetValue<bool>(), outcome.ToJsonString());
            Assert.All(outcome["steps"]!.AsArray(), s => Assert.True(s!["success"]!.GetValue<bool>(), s.ToJsonString()));
            var files = outcome["files"]!.AsArray();
            Assert.Equal(2, files.Count);
            Assert.All(files, f => Assert.Equal(("uploaded", true), (f!["state"]!.GetValue<string>(), f["submitted"]!.GetValue<bool>())));
            Assert.Contains(outcome["steps"]!.AsArray(), s => s!["requestId"]?.GetValue<string>() is { Length: > 0 }); // An exposed header.
        }
        finally
        {
            browser.Kill(entireProcessTree: true);
            await browser.WaitForExitAsync();
        }
    }

    /// <summary>The page's own origin: the page, and where it posts what happened.</summary>
    private static async Task<WebApplication> PageServerAsync(TaskCompletionSource<JsonObject> result)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var html = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Browsers", "browser-client.html"));
        app.MapGet("/", () => Results.Content(html, "text/html"));
        app.MapPost("/result", async (HttpRequest request) =>
        {
            result.TrySetResult((await JsonNode.ParseAsync(request.Body))!.AsObject());
            return Results.NoContent();
        });
        await app.StartAsync();
        return app;
    }
}
