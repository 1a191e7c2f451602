using System.Net;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Registry;

/// <summary>Another user's object is always 201, exactly as one that does not exist, for every action.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class IsolationTests(ServiceFixture service)
{
    [Fact]
    public async Task Every_task_action_answers_201_for_another_users_task_and_changes_nothing()
    {
        var owner = await service.Client.NewUserAsync();
        var intruder = await service.Client.NewUserAsync();
        var templateId = await owner.CreateTemplateAsync(TestUser.EveryFieldType());
        var intruderTemplate = await intruder.CreateTemplateAsync(TestUser.EveryFieldType());
        var withForm = await owner.CreateTaskAsync(templateId);
        var withoutForm = await owner.CreateTaskAsync();
        var missing = long.MaxValue;

        foreach (var (action, parameters) in new (string, Func<long, JsonObject>)[]
        {
            ("task/read", id => new() { ["task_id"] = id }),
            ("task/delete", id => new() { ["task_id"] = id }),
            ("task/status/change", id => new() { ["task_id"] = id, ["status"] = "done" }),
            ("task/form/read", id => new() { ["task_id"] = id }),
            ("task/form/delete", id => new() { ["task_id"] = id }),
        })
        {
            var foreign = (await intruder.CallAsync(action, parameters(withForm))).AssertError(201, HttpStatusCode.BadRequest);
            var absent = (await intruder.CallAsync(action, parameters(missing))).AssertError(201, HttpStatusCode.BadRequest);
            Assert.Equal(absent.Description, foreign.Description);
        }

        var foreignCreate = (await intruder.CallAsync("task/form/create", new JsonObject { ["task_id"] = withoutForm, ["template_id"] = intruderTemplate }))
            .AssertError(201, HttpStatusCode.BadRequest);
        var absentCreate = (await intruder.CallAsync("task/form/create", new JsonObject { ["task_id"] = missing, ["template_id"] = intruderTemplate }))
            .AssertError(201, HttpStatusCode.BadRequest);
        Assert.Equal(absentCreate.Description, foreignCreate.Description);
        Assert.Equal(0, (await intruder.CallAsync("task/list")).AssertOk().Body["count"]!.GetValue<int>());

        var task = (await owner.CallAsync("task/read", new JsonObject { ["task_id"] = withForm })).AssertOk().Body["value"]!;
        Assert.Equal("unassigned", task["status"]!.GetValue<string>());
        Assert.NotNull((await owner.CallAsync("task/form/read", new JsonObject { ["task_id"] = withForm })).AssertOk().Body["value"]);
        Assert.Null((await owner.CallAsync("task/form/read", new JsonObject { ["task_id"] = withoutForm })).AssertOk().Body["value"]);
        Assert.Equal(2, (await owner.CallAsync("task/list")).AssertOk().Body["count"]!.GetValue<int>());
    }
}
