using System.Text.Json.Nodes;
using FormFiles.Files;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Registry;

/// <summary>task/list from the user's list partition: an exact count row, pages without a full read, and copies the sweep repairs.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class TaskListTests(ServiceFixture service)
{
    private static List<long> Ids(Envelope list) => list.Body["list"]!.AsArray().Select(t => t!["id"]!.GetValue<long>()).ToList();

    private static async Task<Envelope> ListAsync(TestUser user, JsonObject? parameters = null) => (await user.CallAsync("task/list", parameters)).AssertOk();

    [Fact]
    public async Task An_unpaged_list_of_the_longest_texts_stops_at_the_answer_limit_and_next_goes_on()
    {
        var user = await service.Client.NewUserAsync();
        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["rate_limit_per_second"] = 100_000, ["rate_limit_burst"] = 100_000 })).AssertOk();
        // Three UTF-8 bytes a character, the most a text may hold: about 4.7 KB a task in JSON, 4.7 MB for 1,000.
        var created = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            created.Add((await user.CallAsync("task/create", new JsonObject
            {
                ["task"] = new JsonObject { ["label"] = new string('\u4e00', 200), ["description"] = new string('\u4e01', 1024), ["external_id"] = $"{i:D4}" + new string('\u4e02', 252) },
            })).AssertOk().Body["id"]!.GetValue<long>()));

        var listed = new List<long>();
        JsonNode? next = null;
        do
        {
            using var response = await user.Client.PostAsync("/v2/task/list", new StringContent(new JsonObject { ["hash"] = user.Hash, ["limit"] = null, ["next"] = next?.DeepClone() }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.InRange(bytes.Length, 1, FormFiles.Tasks.TaskListAction.MaxAnswerBytes);
            var page = JsonNode.Parse(bytes)!;
            Assert.Equal(1000, page["count"]!.GetValue<int>());
            listed.AddRange(page["list"]!.AsArray().Select(t => t!["id"]!.GetValue<long>()));
            next = page["next"];
        }
        while (next is not null);

        Assert.Equal(created.Order(), listed);
    }

    [Fact]
    public async Task Next_goes_on_after_the_last_page_of_the_whole_list_and_of_an_external_id()
    {
        var user = await service.Client.NewUserAsync();
        var ids = new List<long>();
        for (var i = 0; i < 7; i++)
            ids.Add(await user.CreateTaskAsync(label: $"Task {i}", externalId: i % 2 == 0 ? "even" : "odd"));

        foreach (var (filter, expected) in new[] { ((string?)null, ids), ("even", ids.Where((_, i) => i % 2 == 0).ToList()) })
        {
            var seen = new List<long>();
            long? next = null;
            do
            {
                var parameters = new JsonObject { ["limit"] = 2, ["next"] = next, ["external_id"] = filter };
                var page = await ListAsync(user, parameters);
                Assert.Equal(expected.Count, page.Body["count"]!.GetValue<int>());
                seen.AddRange(Ids(page));
                next = page.Body["next"]?.GetValue<long>();
            }
            while (next is not null);

            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task Count_and_filters_stay_exact_under_parallel_creates_status_changes_and_deletes()
    {
        var user = await service.Client.NewUserAsync();
        var ids = (await Task.WhenAll(Enumerable.Range(0, 30).Select(i => user.CreateTaskAsync(label: $"Task {i}", externalId: $"route-{i % 3}")))).Order().ToList();

        string[] statuses = ["done", "failed", "arrived"];
        await Task.WhenAll(ids.Take(10).Select((id, i) => user.CallAsync("task/status/change", new JsonObject { ["task_id"] = id, ["status"] = statuses[i % 3] }))
            .Concat(ids.Skip(20).Select(id => user.CallAsync("task/delete", new JsonObject { ["task_id"] = id }))));

        var live = ids.Take(20).ToList();
        var all = await ListAsync(user);
        Assert.Equal(live, Ids(all));
        Assert.Equal(20, all.Body["count"]!.GetValue<int>());
        var finished = await ListAsync(user, new JsonObject { ["statuses"] = new JsonArray("done", "failed") });
        Assert.Equal(live.Take(10).Where((_, i) => i % 3 != 2).ToList(), Ids(finished));
        Assert.Equal(Ids(finished).Count, finished.Body["count"]!.GetValue<int>());
        var route = await ListAsync(user, new JsonObject { ["external_id"] = "route-1", ["statuses"] = new JsonArray("unassigned") });
        var expected = new List<long>();
        foreach (var id in live.Skip(10))
        {
            var task = (await user.CallAsync("task/read", new JsonObject { ["task_id"] = id })).AssertOk().Body["value"]!;
            if (task["external_id"]!.GetValue<string>() == "route-1")
                expected.Add(id);
        }

        Assert.Equal(expected, Ids(route));
        Assert.Equal(expected.Count, route.Body["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Pages_by_offset_and_limit_cover_the_list_once_in_id_order()
    {
        var user = await service.Client.NewUserAsync();
        var ids = new List<long>();
        for (var i = 0; i < 25; i++)
            ids.Add(await user.CreateTaskAsync(label: $"Task {i}"));

        var paged = new List<long>();
        for (var offset = 0; offset < 30; offset += 7)
        {
            var page = await ListAsync(user, new JsonObject { ["offset"] = offset, ["limit"] = 7 });
            Assert.Equal(25, page.Body["count"]!.GetValue<int>());
            paged.AddRange(Ids(page));
        }

        Assert.Equal(ids, paged);
        Assert.Empty(Ids(await ListAsync(user, new JsonObject { ["offset"] = 25 })));
    }

    [Fact]
    public async Task External_ids_of_any_text_are_found_exactly()
    {
        var user = await service.Client.NewUserAsync();
        string[] externalIds = ["a/b\\c#d?e", "Ünïcødé 🚚", "  spaced  ", "a/b\\c#d?E"];
        var ids = new List<long>();
        foreach (var externalId in externalIds)
            ids.Add(await user.CreateTaskAsync(externalId: externalId));

        for (var i = 0; i < externalIds.Length; i++)
        {
            var stored = (await user.CallAsync("task/read", new JsonObject { ["task_id"] = ids[i] })).AssertOk().Body["value"]!["external_id"]!.GetValue<string>();
            Assert.Equal([ids[i]], Ids(await ListAsync(user, new JsonObject { ["external_id"] = stored })));
        }
    }

    [Fact]
    public async Task Deleting_a_task_while_files_are_reserved_on_it_leaves_no_file_quota_or_listing_behind()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        var storage = service.NewStorage();
        await using var host = FormFilesFactory.OnClock(storage, clock);
        var user = await host.CreateClient().NewUserAsync();
        var taskId = await user.CreateTaskAsync(await user.CreateTemplateAsync([new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" }]));
        var reserve = new JsonObject { ["task_id"] = taskId, ["field_id"] = "photo", ["size"] = 100 };

        var answers = await Task.WhenAll(Enumerable.Range(0, 12)
            .Select(i => i == 4 ? user.CallAsync("task/delete", new JsonObject { ["task_id"] = taskId }) : user.CallAsync("task/form/file/create", reserve)));
        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(10));
        await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        Assert.True(answers[4].Success, answers[4].Raw);
        Assert.All(answers, a => Assert.True(a.Success || a.Code is 201 or 267, a.Raw));
        Assert.Equal(0, (await ListAsync(user)).Body["count"]!.GetValue<int>());
        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.Equal(0, stats["file_count"]!.GetValue<long>());
        var partition = storage.Table("tasks")
            .QueryAsync<Azure.Data.Tables.TableEntity>(r => r.PartitionKey == taskId.ToString("D19", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(await partition.ToListAsync());
    }

    [Theory]
    [InlineData("task/create")]
    [InlineData("task/delete")]
    [InlineData("task/status/change")]
    public async Task A_crash_between_the_task_row_and_its_list_copy_is_repaired_by_the_sweep(string action)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        var storage = service.NewStorage();
        await using var host = FormFilesFactory.OnClock(storage, clock);
        var fault = new FaultInjection(FaultInjection.BatchOn("usertasks"));
        await using var crashing = FormFilesFactory.OnClock(storage, clock, fault);
        var user = await host.CreateClient().NewUserAsync();
        var existing = action == "task/create" ? 0 : await user.CreateTaskAsync(externalId: "kept");

        var failed = await (user with { Client = crashing.CreateClient() }).CallAsync(action, action switch
        {
            "task/create" => new JsonObject { ["task"] = new JsonObject { ["label"] = "Crashed", ["external_id"] = "new" } },
            "task/delete" => new JsonObject { ["task_id"] = existing },
            _ => new JsonObject { ["task_id"] = existing, ["status"] = "done" },
        });
        Assert.True(fault.Fired);
        Assert.Equal(14, failed.Code);

        clock.Advance(TimeSpan.FromMinutes(3));
        await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        var list = await ListAsync(user);
        switch (action)
        {
            case "task/create":
                Assert.Equal(1, list.Body["count"]!.GetValue<int>());
                Assert.Single(Ids(await ListAsync(user, new JsonObject { ["external_id"] = "new" })));
                break;
            case "task/delete":
                Assert.Empty(Ids(list));
                Assert.Equal(0, list.Body["count"]!.GetValue<int>());
                Assert.Empty(Ids(await ListAsync(user, new JsonObject { ["external_id"] = "kept" })));
                break;
            default:
                Assert.Equal("done", list.Body["list"]![0]!["status"]!.GetValue<string>());
                Assert.Equal(1, (await ListAsync(user, new JsonObject { ["statuses"] = new JsonArray("done") })).Body["count"]!.GetValue<int>());
                break;
        }
    }
}
