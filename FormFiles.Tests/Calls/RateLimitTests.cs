using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Core;
using FormFiles.Bench;
using FormFiles.Tests.Infrastructure;
using FormFiles.Usage;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Calls;

[Collection(ServiceFixture.Collection)]
public sealed partial class RateLimitTests(ServiceFixture service)
{
    [Fact]
    public async Task A_key_over_its_limit_gets_15_while_another_key_of_the_user_stays_fast_and_it_recovers()
    {
        var user = await service.Client.NewUserAsync();
        var other = user with { Hash = await service.Client.NewKeyAsync(user.Id) };
        var limits = (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["rate_limit_per_second"] = 1, ["rate_limit_burst"] = 5 })).AssertOk();
        Assert.Equal(1, limits.Body["value"]!["rate_limit_per_second"]!.GetValue<int>());
        Assert.Equal(5, limits.Body["value"]!["rate_limit_burst"]!.GetValue<int>());
        (await user.CallAsync("file/stats/read")).AssertOk(); // The key becomes known here: from now on its own bucket counts.

        // The other key calls while the first one is refused.
        var burst = Task.WhenAll(Enumerable.Range(0, 5 + 20).Select(_ => user.CallAsync("file/stats/read")));
        var otherAnswers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => other.CallAsync("file/stats/read")));
        var answers = await burst;

        var limited = answers.Where(a => a.HttpStatus == HttpStatusCode.TooManyRequests).ToList();
        Assert.True(limited.Count >= 10, $"{limited.Count} of 25 were limited");
        Assert.All(limited, a =>
        {
            a.AssertError(15, HttpStatusCode.TooManyRequests);
            Assert.InRange(int.Parse(a.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture), 1, 3);
        });
        Assert.All(answers.Concat(otherAnswers), a =>
        {
            Assert.Matches(PolicyHeader(), a.Header("RateLimit-Policy"));
            Assert.Matches(StateHeader(), a.Header("RateLimit"));
        });
        Assert.All(otherAnswers, a => a.AssertOk());
        Assert.Equal("\"key\";q=5;w=5", answers[0].Header("RateLimit-Policy"));
        Assert.All(limited, a => Assert.Equal(a.Header("Retry-After"), a.Header("RateLimit")![(a.Header("RateLimit")!.IndexOf("t=", StringComparison.Ordinal) + 2)..]));

        await Task.Delay(TimeSpan.FromSeconds(limited.Max(a => int.Parse(a.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture))));
        (await user.CallAsync("file/stats/read")).AssertOk();

        await service.Factory.Services.GetRequiredService<UsageMeter>().FlushAsync(CancellationToken.None);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var usage = (await service.Client.AdminAsync("admin/usage/read", new JsonObject { ["user_id"] = user.Id, ["from"] = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), ["to"] = today })).AssertOk();
        var line = usage.Body["list"]!.AsArray().Single(l => l!["api_key"]!.GetValue<string>() == user.Hash[..8] && l["action"]!.GetValue<string>() == "file/stats/read")!;
        Assert.Equal(limited.Count, line["limited"]!.GetValue<long>());
        Assert.Equal(answers.Length - limited.Count + 2, line["ok"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_limited_call_costs_no_storage_request()
    {
        var counter = new StorageRequestCounter();
        await using var host = new FormFilesFactory(
            new Dictionary<string, string?>(service.NewStorage().Settings)
            {
                ["FormFiles:RateLimit:PermitsPerSecond"] = "1",
                ["FormFiles:RateLimit:Burst"] = "3",
            },
            services =>
            {
                services.AddSingleton<TimeProvider>(new FakeTimeProvider(DateTimeOffset.UtcNow)); // Background loops stand still.
                services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(counter, HttpPipelinePosition.PerCall)));
            });
        using var client = host.CreateClient();
        var user = await client.NewUserAsync();
        for (var i = 0; i < 3; i++)
            (await user.CallAsync("file/stats/read")).AssertOk();

        // Until ten calls were limited (a token comes back each second, however slow the machine), each checked.
        var limited = 0;
        for (var i = 0; i < 200 && limited < 10; i++)
        {
            var before = counter.Count;
            var answer = await user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = 1, ["field_id"] = "doc", ["size"] = 1 });
            if (answer.HttpStatus != HttpStatusCode.TooManyRequests)
                continue; // A token came back meanwhile.
            answer.AssertError(15, HttpStatusCode.TooManyRequests);
            Assert.Equal(before, counter.Count);
            limited++;
        }

        Assert.Equal(10, limited);
    }

    [Fact]
    public async Task Admin_calls_and_health_are_not_under_the_keys_limit()
    {
        await using var host = new FormFilesFactory(new Dictionary<string, string?>(service.NewStorage().Settings)
        {
            ["FormFiles:RateLimit:PermitsPerSecond"] = "1",
            ["FormFiles:RateLimit:Burst"] = "1",
        });
        using var client = host.CreateClient();
        var user = await client.NewUserAsync();

        for (var i = 0; i < 5; i++)
        {
            (await client.AdminAsync("admin/user/read", new JsonObject { ["user_id"] = user.Id })).AssertOk();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/health")).StatusCode);
        }

        // The first call of a key this host never saw goes through the unknown keys' bucket; then its own (burst 1)
        // refuses within a few calls (one token a second comes back, however slow the machine).
        var calls = new List<Envelope> { await user.CallAsync("file/stats/read") };
        while (calls.Count < 10 && calls[^1].HttpStatus != HttpStatusCode.TooManyRequests)
            calls.Add(await user.CallAsync("file/stats/read"));
        calls[0].AssertOk();
        calls[^1].AssertError(15, HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task User_update_validates_its_limits_and_null_restores_the_configured_ones()
    {
        var user = await service.Client.NewUserAsync();
        foreach (var bad in new JsonNode[] { 0, -1, "many", 100_001, 1.5 })
        {
            (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["rate_limit_per_second"] = bad.DeepClone() }))
                .AssertError(7, HttpStatusCode.BadRequest);
        }

        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = 999_999_999, ["quota_bytes"] = 5 })).AssertError(201, HttpStatusCode.BadRequest);
        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["rate_limit_burst"] = 7, ["quota_bytes"] = 1234 })).AssertOk();
        var cleared = (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["rate_limit_burst"] = null })).AssertOk().Body["value"]!;

        Assert.Null(cleared["rate_limit_burst"]);
        Assert.Equal(1234, cleared["quota_bytes"]!.GetValue<long>());
        Assert.Equal(1234, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["quota"]!.GetValue<long>());
    }

    [Fact]
    public async Task Parallel_quota_updates_and_charges_keep_the_totals()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync([new JsonObject { ["id"] = "doc", ["label"] = "Doc", ["type"] = "file" }]));

        var updates = Enumerable.Range(0, 10).Select(i => service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["quota_bytes"] = 1_000_000 + i }));
        var creates = Enumerable.Range(0, 6).Select(_ => user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = task, ["field_id"] = "doc", ["size"] = 100 }));
        var answers = await Task.WhenAll(updates.Concat(creates));

        Assert.All(answers, a => a.AssertOk());
        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.Equal(6, stats["file_count"]!.GetValue<long>());
        Assert.Equal(600, stats["total_size"]!.GetValue<long>());
        Assert.InRange(stats["quota"]!.GetValue<long>(), 1_000_000, 1_000_009);
    }

    [GeneratedRegex("^\"key\";q=\\d+;w=\\d+$")]
    private static partial Regex PolicyHeader();

    [GeneratedRegex("^\"key\";r=\\d+;t=\\d+$")]
    private static partial Regex StateHeader();
}
