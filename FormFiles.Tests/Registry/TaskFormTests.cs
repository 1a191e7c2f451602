using System.Net;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Registry;

[Collection(ServiceFixture.Collection)]
public sealed class TaskFormTests(ServiceFixture service)
{
    [Theory]
    [MemberData(nameof(RequestForms.All), MemberType = typeof(RequestForms))]
    public async Task Create_read_delete_in_each_request_form(RequestForm form)
    {
        var user = await service.Client.NewUserAsync();
        var templateId = await user.CreateTemplateAsync(TestUser.EveryFieldType(), "Survey");
        var taskId = await user.CreateTaskAsync();

        var before = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = taskId }, form)).AssertOk();
        (await user.CallAsync("task/form/create", new JsonObject { ["task_id"] = taskId, ["template_id"] = templateId }, form)).AssertOk();
        var after = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = taskId }, form)).AssertOk();
        (await user.CallAsync("task/form/delete", new JsonObject { ["task_id"] = taskId }, form)).AssertOk();
        var deleted = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = taskId }, form)).AssertOk();

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"success":true,"value":null,"files":[]}"""), before.Body), before.Raw);
        var value = after.Body["value"]!;
        Assert.Equal(taskId, value["task_id"]!.GetValue<long>());
        Assert.Equal(templateId, value["template_id"]!.GetValue<long>());
        Assert.Equal("Survey", value["label"]!.GetValue<string>());
        Assert.Equal(10, value["fields"]!.AsArray().Count);
        Assert.Null(value["values"]);
        Assert.Null(value["submitted"]);
        Assert.Empty(after.Body["files"]!.AsArray());
        Assert.Null(deleted.Body["value"]);
    }

    [Fact]
    public async Task A_second_form_gives_247()
    {
        var user = await service.Client.NewUserAsync();
        var templateId = await user.CreateTemplateAsync(TestUser.EveryFieldType());
        var taskId = await user.CreateTaskAsync(templateId);

        (await user.CallAsync("task/form/create", new JsonObject { ["task_id"] = taskId, ["template_id"] = templateId })).AssertError(247, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Twenty_parallel_creates_on_one_task_give_one_form_and_nineteen_247()
    {
        var user = await service.Client.NewUserAsync();
        var templateId = await user.CreateTemplateAsync(TestUser.EveryFieldType());
        var taskId = await user.CreateTaskAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            user.CallAsync("task/form/create", new JsonObject { ["task_id"] = taskId, ["template_id"] = templateId })));

        Assert.Single(results, r => r.HttpStatus == HttpStatusCode.OK);
        Assert.Equal(19, results.Count(r => r is { HttpStatus: HttpStatusCode.Conflict, Success: false, Code: 247 }));
    }

    [Theory]
    [InlineData("done")]
    [InlineData("failed")]
    [InlineData("delayed")]
    [InlineData("faulty")]
    public async Task Forms_change_only_while_the_task_is_open(string status)
    {
        var user = await service.Client.NewUserAsync();
        var templateId = await user.CreateTemplateAsync(TestUser.EveryFieldType());
        var withForm = await user.CreateTaskAsync(templateId);
        var withoutForm = await user.CreateTaskAsync();
        foreach (var id in new[] { withForm, withoutForm })
            (await user.CallAsync("task/status/change", new JsonObject { ["task_id"] = id, ["status"] = status })).AssertOk();

        (await user.CallAsync("task/form/create", new JsonObject { ["task_id"] = withoutForm, ["template_id"] = templateId })).AssertError(255, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/delete", new JsonObject { ["task_id"] = withForm })).AssertError(255, HttpStatusCode.BadRequest);
        Assert.NotNull((await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = withForm })).AssertOk().Body["value"]);
    }

    [Fact]
    public async Task Unknown_task_template_or_form_gives_201()
    {
        var user = await service.Client.NewUserAsync();
        var templateId = await user.CreateTemplateAsync(TestUser.EveryFieldType());
        var taskId = await user.CreateTaskAsync();

        (await user.CallAsync("task/form/create", new JsonObject { ["task_id"] = long.MaxValue, ["template_id"] = templateId })).AssertError(201, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/create", new JsonObject { ["task_id"] = taskId, ["template_id"] = long.MaxValue })).AssertError(201, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = long.MaxValue })).AssertError(201, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/delete", new JsonObject { ["task_id"] = taskId })).AssertError(201, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Missing_ids_give_7()
    {
        var user = await service.Client.NewUserAsync();

        (await user.CallAsync("task/form/create", new JsonObject { ["task_id"] = 1 })).AssertError(7, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/read", [])).AssertError(7, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/delete", new JsonObject { ["task_id"] = "one" })).AssertError(7, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_form_keeps_its_fields_when_the_template_is_deleted()
    {
        var user = await service.Client.NewUserAsync();
        var templateId = await user.CreateTemplateAsync(TestUser.EveryFieldType());
        var taskId = await user.CreateTaskAsync(templateId);

        (await user.CallAsync("form/template/delete", new JsonObject { ["template_id"] = templateId })).AssertOk();

        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = taskId })).AssertOk().Body["value"]!;
        Assert.Equal(10, form["fields"]!.AsArray().Count);
    }
}
