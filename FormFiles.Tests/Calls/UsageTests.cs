using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Azure.Core;
using FormFiles.Tests.Infrastructure;
using FormFiles.Usage;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Tests.Calls;

[Collection(ServiceFixture.Collection)]
public sealed class UsageTests(ServiceFixture service)
{
    private static JsonArray FileField => [new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" }];

    [Fact]
    public async Task Two_hundred_calls_over_four_keys_add_up_exactly_after_a_flush()
    {
        var user = await service.Client.NewUserAsync();
        var template = await user.CreateTemplateAsync(FileField);
        var keys = new List<TestUser> { user };
        for (var i = 0; i < 3; i++)
            keys.Add(user with { Hash = await service.Client.NewKeyAsync(user.Id) });
        var tasks = new Dictionary<TestUser, long>();
        foreach (var key in keys)
            tasks[key] = await user.CreateTaskAsync(template); // Setup: five calls of the first key.

        // Per key: 40 reads, 8 not found, 2 reservations of 1000 bytes (one uploaded: 300 bytes), in parallel.
        await Task.WhenAll(keys.Select(async key =>
        {
            var calls = Enumerable.Range(0, 40).Select(_ => key.CallAsync("file/stats/read"))
                .Concat(Enumerable.Range(0, 8).Select(_ => key.CallAsync("task/read", new JsonObject { ["task_id"] = 999_999_999 })));
            await Task.WhenAll(calls);
            var reserved = await key.ReserveAsync(tasks[key], "doc", 1000, "a.bin");
            await key.ReserveAsync(tasks[key], "doc", 1000, "b.bin");
            (await reserved.UploadAsync(new byte[300])).AssertOk();
        }));
        await service.Factory.Services.GetRequiredService<UsageMeter>().FlushAsync(CancellationToken.None);

        var usage = await ReadAsync(user);
        Assert.Equal(4 * 2000, usage["bytes_reserved"]!.GetValue<long>());
        Assert.Equal(4 * 300, usage["bytes_uploaded"]!.GetValue<long>());
        var lines = Lines(usage);
        foreach (var key in keys)
        {
            var prefix = key.Hash[..8];
            Assert.Equal(40, lines[(prefix, "file/stats/read")]["ok"]!.GetValue<long>());
            Assert.Equal(8, lines[(prefix, "task/read")]["client_errors"]!.GetValue<long>());
            Assert.Equal(2, lines[(prefix, "task/form/file/create")]["ok"]!.GetValue<long>());
        }

        Assert.Equal(200 + 5, lines.Values.Sum(l => l["ok"]!.GetValue<long>() + l["client_errors"]!.GetValue<long>()));
        Assert.DoesNotContain(lines.Keys, k => k.Action == "task/form/file/upload"); // Keyed by its token, not an API key.
    }

    [Fact]
    public async Task Two_instances_over_one_storage_add_up_even_when_storage_loses_responses()
    {
        var lost = new LostResponses(0.9);
        var storage = service.NewStorage();
        await using var first = new FormFilesFactory(storage.Settings);
        await using var second = new FormFilesFactory(storage.Settings,
            services => services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(lost, HttpPipelinePosition.PerRetry))));
        using var secondClient = second.CreateClient();
        var user = await first.CreateClient().NewUserAsync();
        var elsewhere = user with { Client = secondClient };

        await Task.WhenAll(Enumerable.Range(0, 60).Select(i => (i % 2 == 0 ? user : elsewhere).CallAsync("file/stats/read")));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? user : elsewhere).CallAsync("task/read", new JsonObject { ["task_id"] = 999_999_999 })));
        lost.Enabled = true;
        await Task.WhenAll(
            first.Services.GetRequiredService<UsageMeter>().FlushAsync(CancellationToken.None),
            second.Services.GetRequiredService<UsageMeter>().FlushAsync(CancellationToken.None));
        lost.Enabled = false;
        Assert.True(lost.Lost > 0);
        await second.Services.GetRequiredService<UsageMeter>().FlushAsync(CancellationToken.None); // What a failed flush kept.

        var lines = Lines(await ReadAsync(user));
        Assert.Equal(60, lines[(user.Hash[..8], "file/stats/read")]["ok"]!.GetValue<long>());
        Assert.Equal(20, lines[(user.Hash[..8], "task/read")]["client_errors"]!.GetValue<long>());
    }

    [Fact]
    public async Task Replays_are_their_own_class_and_not_counted_as_work()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));
        for (var i = 0; i < 3; i++)
        {
            (await user.Client.CallAsync("task/form/file/create", new JsonObject { ["hash"] = user.Hash, ["task_id"] = task, ["field_id"] = "doc", ["size"] = 50 },
                headers: new Dictionary<string, string> { ["Idempotency-Key"] = "once" })).AssertOk();
        }

        await service.Factory.Services.GetRequiredService<UsageMeter>().FlushAsync(CancellationToken.None);

        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var usage = (await user.CallAsync("usage/read", new JsonObject { ["from"] = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["to"] = today })).AssertOk().Body;
        var line = Lines(usage)[(user.Hash[..8], "task/form/file/create")];
        Assert.Equal(1, line["ok"]!.GetValue<long>());
        Assert.Equal(2, line["replayed"]!.GetValue<long>());
        Assert.Equal(50, usage["bytes_reserved"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("2026-01-01", "2025-12-31")]
    [InlineData("2026-01-01", "2026-04-03")]
    [InlineData("2026-1-01", "2026-01-02")]
    [InlineData("2026-02-30", "2026-03-01")]
    [InlineData("yesterday", "2026-03-01")]
    public async Task A_bad_range_is_7(string from, string to)
    {
        var user = await service.Client.NewUserAsync();

        (await user.CallAsync("usage/read", new JsonObject { ["from"] = from, ["to"] = to })).AssertError(7, HttpStatusCode.BadRequest);
        (await service.Client.AdminAsync("admin/usage/read", new JsonObject { ["user_id"] = user.Id, ["from"] = from, ["to"] = to })).AssertError(7, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Ninety_two_days_are_allowed_and_an_unknown_user_is_201()
    {
        var user = await service.Client.NewUserAsync();

        var usage = (await user.CallAsync("usage/read", new JsonObject { ["from"] = "2026-01-01", ["to"] = "2026-04-02" })).AssertOk();
        Assert.Empty(usage.Body["list"]!.AsArray());
        (await service.Client.AdminAsync("admin/usage/read", new JsonObject { ["user_id"] = 999_999_999, ["from"] = "2026-01-01", ["to"] = "2026-01-01" }))
            .AssertError(201, HttpStatusCode.BadRequest);
    }

    /// <summary>The user's usage of today and yesterday, read through <paramref name="user"/>'s host.</summary>
    private static async Task<JsonObject> ReadAsync(TestUser user)
    {
        var now = DateTime.UtcNow;
        return (await user.Client.AdminAsync("admin/usage/read", new JsonObject
        {
            ["user_id"] = user.Id,
            ["from"] = now.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["to"] = now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        })).AssertOk().Body;
    }

    /// <summary>The lines summed over days (a run may cross midnight), by key and action.</summary>
    private static Dictionary<(string Key, string Action), JsonObject> Lines(JsonObject usage) =>
        usage["list"]!.AsArray()
            .GroupBy(l => (l!["api_key"]!.GetValue<string>(), l["action"]!.GetValue<string>()))
            .ToDictionary(g => g.Key, g =>
            {
                var sum = new JsonObject();
                foreach (var name in new[] { "ok", "client_errors", "server_errors", "replayed", "limited" })
                    sum[name] = g.Sum(l => l![name]!.GetValue<long>());
                return sum;
            });
}
