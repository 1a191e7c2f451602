using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Clients;

/// <summary>task/list as Navixy documents it: the from/to window, and no limit (absent or null) for every task.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class NavixyTaskListTests(ServiceFixture service)
{
    private static List<long> Ids(Envelope list) => list.Body["list"]!.AsArray().Select(t => t!["id"]!.GetValue<long>()).ToList();

    private static async Task<long> TaskAsync(TestUser user, string label, string? from, string? to) =>
        (await user.CallAsync("task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = label, ["from"] = from, ["to"] = to } })).AssertOk().Body["id"]!.GetValue<long>();

    [Fact]
    public async Task From_and_to_keep_the_tasks_actual_in_the_window()
    {
        var user = await service.Client.NewUserAsync();
        var early = await TaskAsync(user, "early", "2026-01-01 08:00:00", "2026-01-02 08:00:00");
        var late = await TaskAsync(user, "late", "2026-01-05 08:00:00", "2026-01-06 08:00:00");
        var open = await TaskAsync(user, "open", null, null);
        var started = await TaskAsync(user, "started", "2026-01-03 08:00:00", null);

        async Task<Envelope> ListAsync(JsonObject parameters) => (await user.CallAsync("task/list", parameters)).AssertOk();

        var after = await ListAsync(new JsonObject { ["from"] = "2026-01-03 00:00:00" });
        Assert.Equal([late, open, started], Ids(after));
        Assert.Equal(3, after.Body["count"]!.GetValue<int>());
        Assert.Equal([early, open, started], Ids(await ListAsync(new JsonObject { ["to"] = "2026-01-04 00:00:00" })));
        var window = await ListAsync(new JsonObject { ["from"] = "2026-01-03 00:00:00", ["to"] = "2026-01-04 00:00:00" });
        Assert.Equal([open, started], Ids(window));
        Assert.Equal(2, window.Body["count"]!.GetValue<int>());

        // Bounds are inclusive, ISO 8601 works too, and a window pages like the whole list.
        Assert.Equal([early, open, started], Ids(await ListAsync(new JsonObject { ["from"] = "2026-01-02T08:00:00Z", ["to"] = "2026-01-03T08:00:00Z" })));
        var second = await ListAsync(new JsonObject { ["from"] = "2026-01-03 00:00:00", ["offset"] = 1, ["limit"] = 1 });
        Assert.Equal([open], Ids(second));
        Assert.Equal(3, second.Body["count"]!.GetValue<int>());
        Assert.Empty(Ids(await ListAsync(new JsonObject { ["from"] = "2026-01-03 00:00:00", ["offset"] = 3 })));

        // With statuses as well.
        (await user.CallAsync("task/status/change", new JsonObject { ["task_id"] = late, ["status"] = "done" })).AssertOk();
        Assert.Equal([late], Ids(await ListAsync(new JsonObject { ["from"] = "2026-01-03 00:00:00", ["statuses"] = new JsonArray("done") })));

        (await user.CallAsync("task/list", new JsonObject { ["from"] = "2026-01-04 00:00:00", ["to"] = "2026-01-03 00:00:00" })).AssertError(7, System.Net.HttpStatusCode.BadRequest);
        (await user.CallAsync("task/list", new JsonObject { ["from"] = "yesterday" })).AssertError(7, System.Net.HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_window_compares_bounds_that_every_list_copy_stores_even_an_open_one()
    {
        // How a query treats a missing column differs between storage implementations: the window never relies on it.
        var user = await service.Client.NewUserAsync();
        var open = await TaskAsync(user, "open", null, null);
        var ends = await TaskAsync(user, "ends", null, "2026-01-04 08:00:00");

        var copies = new TestStorage(ServiceFixture.SharedConnectionString!).Table("usertasks");
        foreach (var (id, from, to) in new[] { (open, "1601-01-01", "9999-12-31"), (ends, "1601-01-01", "2026-01-04") })
        {
            var copy = (await copies.GetEntityAsync<Azure.Data.Tables.TableEntity>(user.Id.ToString("D19"), id.ToString("D19"))).Value;
            Assert.Equal(from, copy.GetDateTimeOffset("ListFrom")?.ToString("yyyy-MM-dd"));
            Assert.Equal(to, copy.GetDateTimeOffset("ListTo")?.ToString("yyyy-MM-dd"));
        }

        Assert.Equal([open, ends], Ids((await user.CallAsync("task/list", new JsonObject { ["from"] = "2026-01-04 00:00:00", ["to"] = "2026-01-04 00:00:00" })).AssertOk()));
        Assert.Equal([open], Ids((await user.CallAsync("task/list", new JsonObject { ["from"] = "2026-01-05 00:00:00" })).AssertOk()));
    }

    [Fact]
    public async Task The_window_is_read_in_the_user_s_time_zone()
    {
        var user = await service.Client.NewUserAsync();
        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["time_zone"] = "Asia/Yekaterinburg" })).AssertOk();
        var task = await TaskAsync(user, "morning", "2026-01-03 08:00:00", "2026-01-03 09:00:00"); // 03:00-04:00 UTC.

        Assert.Equal([task], Ids((await user.CallAsync("task/list", new JsonObject { ["to"] = "2026-01-03 08:30:00" })).AssertOk()));
        Assert.Empty(Ids((await user.CallAsync("task/list", new JsonObject { ["from"] = "2026-01-03T05:00:00Z" })).AssertOk()));
    }

    [Fact]
    public async Task No_limit_lists_every_task_past_a_storage_page()
    {
        var user = await service.Client.NewUserAsync();
        var ids = new List<long>();
        foreach (var batch in Enumerable.Range(0, 1003).Chunk(50))
            ids.AddRange(await Task.WhenAll(batch.Select(i => user.CreateTaskAsync(label: $"Task {i}"))));
        ids.Sort();

        var absent = (await user.CallAsync("task/list")).AssertOk();
        Assert.Equal(ids, Ids(absent));
        Assert.Equal(1003, absent.Body["count"]!.GetValue<int>());
        Assert.Equal(ids, Ids((await user.CallAsync("task/list", new JsonObject { ["limit"] = null })).AssertOk()));
        Assert.Equal(ids.Skip(1000), Ids((await user.CallAsync("task/list", new JsonObject { ["offset"] = 1000, ["limit"] = null })).AssertOk()));
        Assert.Equal(ids.Take(1000), Ids((await user.CallAsync("task/list", new JsonObject { ["limit"] = 1000 })).AssertOk()));
        Assert.Equal(ids.Skip(1), Ids((await user.CallAsync("task/list", new JsonObject { ["from"] = "2000-01-01 00:00:00", ["offset"] = 1 })).AssertOk()));
        (await user.CallAsync("task/list", new JsonObject { ["limit"] = 1001 })).AssertError(7, System.Net.HttpStatusCode.BadRequest);
    }
}
