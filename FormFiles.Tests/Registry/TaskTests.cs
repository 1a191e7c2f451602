using System.Net;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Registry;

[Collection(ServiceFixture.Collection)]
public sealed class TaskTests(ServiceFixture service)
{
    [Theory]
    [MemberData(nameof(RequestForms.All), MemberType = typeof(RequestForms))]
    public async Task Create_read_change_list_delete_in_each_request_form(RequestForm form)
    {
        var user = await service.Client.NewUserAsync();
        var task = new JsonObject
        {
            ["label"] = "Deliver parcels",
            ["description"] = "Ring twice",
            ["external_id"] = "order-17",
            ["from"] = "2026-11-24 08:00:00",
            ["to"] = "2026-11-24 18:00:00",
        };

        var id = (await user.CallAsync("task/create", new JsonObject { ["task"] = task }, form)).AssertOk().Body["id"]!.GetValue<long>();
        var created = (await user.CallAsync("task/read", new JsonObject { ["task_id"] = id }, form)).AssertOk().Body["value"]!;
        (await user.CallAsync("task/status/change", new JsonObject { ["task_id"] = id, ["status"] = "arrived" }, form)).AssertOk();
        var changed = (await user.CallAsync("task/read", new JsonObject { ["task_id"] = id }, form)).AssertOk().Body["value"]!;
        var list = (await user.CallAsync("task/list", new JsonObject { ["statuses"] = new JsonArray("arrived") }, form)).AssertOk();
        (await user.CallAsync("task/delete", new JsonObject { ["task_id"] = id }, form)).AssertOk();

        Assert.Equal(id, created["id"]!.GetValue<long>());
        Assert.Equal(user.Id, created["user_id"]!.GetValue<long>());
        Assert.Equal("Deliver parcels", created["label"]!.GetValue<string>());
        Assert.Equal("Ring twice", created["description"]!.GetValue<string>());
        Assert.Equal("order-17", created["external_id"]!.GetValue<string>());
        Assert.Equal("2026-11-24 08:00:00", created["from"]!.GetValue<string>());
        Assert.Equal("2026-11-24 18:00:00", created["to"]!.GetValue<string>());
        Assert.Equal("unassigned", created["status"]!.GetValue<string>());
        Assert.Equal("arrived", changed["status"]!.GetValue<string>());
        Assert.Equal(1, list.Body["count"]!.GetValue<int>());
        Assert.Equal(id, Assert.Single(list.Body["list"]!.AsArray())!["id"]!.GetValue<long>());
        (await user.CallAsync("task/read", new JsonObject { ["task_id"] = id })).AssertError(201, HttpStatusCode.BadRequest);
        Assert.Equal(0, (await user.CallAsync("task/list")).AssertOk().Body["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"task": {}}""", "'task.label' is required")]
    [InlineData("""{"task": {"label": ""}}""", "'task.label' must be 1 to 200")]
    [InlineData("""{"task": "Deliver"}""", "'task' must be a JSON object")]
    [InlineData("""{}""", "'task' is required")]
    [InlineData("""{"task": {"label": "x", "from": "24.11.2026"}}""", "'task.from' must be a date as yyyy-MM-dd HH:mm:ss")]
    [InlineData("""{"task": {"label": "x", "from": "2026-11-25 00:00:00", "to": "2026-11-24 00:00:00"}}""", "'task.from' must not be after task.to")]
    [InlineData("""{"task": {"label": "x", "form_template_id": "abc"}, "create_form": true}""", "'task.form_template_id' must be an integer")]
    public async Task Create_with_bad_parameters_gives_7(string parameters, string problem)
    {
        var user = await service.Client.NewUserAsync();

        var response = (await user.CallAsync("task/create", JsonNode.Parse(parameters)!.AsObject())).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains(problem, response.Description, StringComparison.Ordinal);
        Assert.Equal(0, (await user.CallAsync("task/list")).AssertOk().Body["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Create_with_create_form_attaches_a_form_from_the_template()
    {
        var user = await service.Client.NewUserAsync();
        var templateId = await user.CreateTemplateAsync(TestUser.EveryFieldType(), "Survey");

        var taskId = await user.CreateTaskAsync(templateId);

        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = taskId })).AssertOk().Body["value"]!;
        Assert.Equal("Survey", form["label"]!.GetValue<string>());
        Assert.Equal(templateId, form["template_id"]!.GetValue<long>());
        Assert.Equal(taskId, form["task_id"]!.GetValue<long>());
    }

    [Fact]
    public async Task Create_with_an_unknown_template_gives_201_and_creates_nothing()
    {
        var user = await service.Client.NewUserAsync();

        (await user.CallAsync("task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = "x", ["form_template_id"] = long.MaxValue }, ["create_form"] = true }))
            .AssertError(201, HttpStatusCode.BadRequest);

        Assert.Equal(0, (await user.CallAsync("task/list")).AssertOk().Body["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task List_filters_by_status_and_external_id_and_pages()
    {
        var user = await service.Client.NewUserAsync();
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
            ids.Add(await user.CreateTaskAsync(label: $"Task {i}", externalId: i % 2 == 0 ? "even" : "odd"));
        (await user.CallAsync("task/status/change", new JsonObject { ["task_id"] = ids[1], ["status"] = "done" })).AssertOk();
        (await user.CallAsync("task/status/change", new JsonObject { ["task_id"] = ids[2], ["status"] = "failed" })).AssertOk();

        var all = (await user.CallAsync("task/list")).AssertOk();
        var finished = (await user.CallAsync("task/list", new JsonObject { ["statuses"] = new JsonArray("done", "failed") })).AssertOk();
        var even = (await user.CallAsync("task/list", new JsonObject { ["external_id"] = "even" })).AssertOk();
        var page = (await user.CallAsync("task/list", new JsonObject { ["offset"] = 1, ["limit"] = 2 })).AssertOk();

        Assert.Equal(ids, Ids(all));
        Assert.Equal(5, all.Body["count"]!.GetValue<int>());
        Assert.Equal([ids[1], ids[2]], Ids(finished));
        Assert.Equal([ids[0], ids[2], ids[4]], Ids(even));
        Assert.Equal([ids[1], ids[2]], Ids(page));
        Assert.Equal(5, page.Body["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"statuses": ["lost"]}""", "'statuses' may hold only")]
    [InlineData("""{"statuses": "done"}""", "'statuses' must be a JSON array")]
    [InlineData("""{"limit": 0}""", "'limit' must be 1 to 1000")]
    [InlineData("""{"limit": 1001}""", "'limit' must be 1 to 1000")]
    [InlineData("""{"offset": -1}""", "'offset' must be 0 to 10000")]
    [InlineData("""{"offset": 10001}""", "go further with the previous page's next")]
    [InlineData("""{"next": -1}""", "'next' must be the next of a previous page")]
    public async Task List_with_bad_parameters_gives_7(string parameters, string problem)
    {
        var user = await service.Client.NewUserAsync();

        var response = (await user.CallAsync("task/list", JsonNode.Parse(parameters)!.AsObject())).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains(problem, response.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"status": "finished"}""", "'status' must be one of")]
    [InlineData("""{}""", "'status' is required")]
    public async Task Status_change_with_bad_parameters_gives_7(string parameters, string problem)
    {
        var user = await service.Client.NewUserAsync();
        var parametersWithTask = JsonNode.Parse(parameters)!.AsObject();
        parametersWithTask["task_id"] = await user.CreateTaskAsync();

        var response = (await user.CallAsync("task/status/change", parametersWithTask)).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains(problem, response.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parallel_status_changes_leave_the_list_copy_equal_to_the_task()
    {
        var user = await service.Client.NewUserAsync();
        var id = await user.CreateTaskAsync();
        string[] statuses = ["assigned", "arrived", "done", "failed", "delayed", "faulty", "unassigned", "assigned"];

        await Task.WhenAll(statuses.Select(s => user.CallAsync("task/status/change", new JsonObject { ["task_id"] = id, ["status"] = s })));

        var read = (await user.CallAsync("task/read", new JsonObject { ["task_id"] = id })).AssertOk().Body["value"]!["status"]!.GetValue<string>();
        var listed = Assert.Single((await user.CallAsync("task/list")).AssertOk().Body["list"]!.AsArray())!["status"]!.GetValue<string>();
        Assert.Equal(read, listed);
    }

    [Fact]
    public async Task View_only_key_reads_tasks_but_cannot_change_them()
    {
        var owner = await service.Client.NewUserAsync();
        var id = await owner.CreateTaskAsync();
        var viewer = owner with { Hash = await service.Client.NewKeyAsync(owner.Id, "task_view") };
        var updater = owner with { Hash = await service.Client.NewKeyAsync(owner.Id, "task_update") };

        (await viewer.CallAsync("task/read", new JsonObject { ["task_id"] = id })).AssertOk();
        (await viewer.CallAsync("task/list")).AssertOk();
        (await updater.CallAsync("task/read", new JsonObject { ["task_id"] = id })).AssertOk();
        (await viewer.CallAsync("task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = "x" } })).AssertError(11, HttpStatusCode.Forbidden);
        (await viewer.CallAsync("task/status/change", new JsonObject { ["task_id"] = id, ["status"] = "done" })).AssertError(11, HttpStatusCode.Forbidden);
        (await viewer.CallAsync("task/delete", new JsonObject { ["task_id"] = id })).AssertError(11, HttpStatusCode.Forbidden);
    }

    private static List<long> Ids(Envelope list) => list.Body["list"]!.AsArray().Select(t => t!["id"]!.GetValue<long>()).ToList();
}
