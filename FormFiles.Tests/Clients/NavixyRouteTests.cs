using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Clients;

/// <summary>Seed 001's requests as its curl and HTTP GET examples send them: under <c>/v2/fsm/</c>, to <c>task/form/file</c>.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class NavixyRouteTests(ServiceFixture service)
{
    private async Task<(TestUser User, long TaskId)> TaskAsync()
    {
        var user = await service.Client.NewUserAsync();
        var template = await user.CreateTemplateAsync([new JsonObject { ["id"] = "file1", ["label"] = "File", ["type"] = "file" }]);
        return (user, await user.CreateTaskAsync(template));
    }

    [Fact]
    public async Task Seed_001_s_curl_reserves_under_fsm()
    {
        var (user, taskId) = await TaskAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/fsm/task/form/file")
        {
            Content = new StringContent($$"""{"hash": "{{user.Hash}}", "task_id": {{taskId}}, "field_id": "file1", "size": 10}""", Encoding.UTF8, "application/json"),
        };
        var answer = (await service.Client.CallAsync(request)).AssertOk();
        Assert.False(string.IsNullOrEmpty(answer.Body["value"]!["fields"]!["token"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Seed_001_s_http_get_reserves_under_fsm()
    {
        var (user, taskId) = await TaskAsync();
        var answer = (await service.Client.CallAsync(new HttpRequestMessage(HttpMethod.Get, $"/v2/fsm/task/form/file?hash={user.Hash}&task_id={taskId}&field_id=file1&size=10"))).AssertOk();
        Assert.True(answer.Body["value"]!["file_id"]!.GetValue<long>() > 0);
    }

    [Theory]
    [InlineData("task/read")]
    [InlineData("task/form/read")]
    [InlineData("task/form/file/create")]
    [InlineData("task/list")]
    public async Task Every_task_action_answers_under_fsm_as_without(string action)
    {
        var (user, taskId) = await TaskAsync();
        var parameters = new JsonObject { ["hash"] = user.Hash, ["task_id"] = taskId, ["field_id"] = "file1", ["size"] = 10 };
        var plain = await service.Client.CallAsync(action, parameters);
        var prefixed = await service.Client.CallAsync("fsm/" + action, parameters);
        plain.AssertOk();
        prefixed.AssertOk();
        Assert.Equal(plain.Body.Select(p => p.Key), prefixed.Body.Select(p => p.Key));
    }

    [Theory]
    [InlineData("fsm/form/template/list")]
    [InlineData("fsm/fsm/task/read")]
    [InlineData("fsm/")]
    public async Task Only_task_actions_take_the_prefix(string path)
    {
        var user = await service.Client.NewUserAsync();
        (await service.Client.CallAsync(path, new JsonObject { ["hash"] = user.Hash })).AssertError(111, HttpStatusCode.NotFound);
    }
}
