using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Dialects;

/// <summary>ONLYOFFICE's task files, as its client sends them: the raw key in Authorization, JSON bodies, its envelope.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class OnlyOfficeTests(ServiceFixture service)
{
    [Fact]
    public async Task Attach_two_uploaded_files_list_them_and_delete_one()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(label: "Fit the kitchen");
        var plan = await UploadAsync(user, task, "plan.bin", 1300);
        var photo = await UploadAsync(user, task, "door.bin", 200);

        var attached = await SendAsync(HttpMethod.Post, task, user.Hash, new JsonObject { ["taskid"] = task, ["files"] = new JsonArray(plan, photo) });

        Assert.Equal(HttpStatusCode.OK, attached.Status);
        Assert.Equal(0, attached.Body["status"]!.GetValue<int>());
        Assert.Equal(200, attached.Body["statusCode"]!.GetValue<int>());
        var response = attached.Body["response"]!;
        Assert.Equal(task, response["id"]!.GetValue<long>());
        Assert.Equal("Fit the kitchen", response["title"]!.GetValue<string>());
        Assert.Equal(1, response["status"]!.GetValue<int>());
        Assert.Matches("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$", response["created"]!.GetValue<string>());
        Assert.Null(response["deadline"]);
        Assert.True(response["canEdit"]!.GetValue<bool>());
        // ONLYOFFICE's people are uuids: the user's id in the last group.
        Assert.True(Guid.TryParse(response["createdBy"]!["id"]!.GetValue<string>(), out var person), response["createdBy"]!.ToJsonString());
        Assert.Equal(user.Id, Convert.ToInt64(person.ToString("N")[16..], 16));
        Assert.NotNull(response["createdBy"]!["displayName"]);
        Assert.Equal([plan, photo], response["files"]!.AsArray().Select(f => f!["id"]!.GetValue<long>()));

        var list = await SendAsync(HttpMethod.Get, task, user.Hash);
        Assert.Equal(2, list.Body["count"]!.GetValue<int>());
        var first = list.Body["response"]!.AsArray()[0]!;
        Assert.Equal("plan.bin", first["title"]!.GetValue<string>());
        Assert.Equal(".bin", first["fileExst"]!.GetValue<string>());
        Assert.Equal(1300, first["pureContentLength"]!.GetValue<long>());
        Assert.Equal("1.3 KB", first["contentLength"]!.GetValue<string>());
        Assert.EndsWith("Z", first["created"]!.GetValue<string>(), StringComparison.Ordinal);
        using (var http = new HttpClient())
            Assert.Equal(1300, (await http.GetByteArrayAsync(first["viewUrl"]!.GetValue<string>())).Length);

        var deleted = await SendAsync(HttpMethod.Delete, task, user.Hash, query: $"?fileid={plan}");
        Assert.Equal([photo], deleted.Body["response"]!["files"]!.AsArray().Select(f => f!["id"]!.GetValue<long>()));
        Assert.Equal(200, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["total_size"]!.GetValue<long>());
    }

    [Fact]
    public async Task Routes_take_the_json_suffix_and_a_delete_takes_fileid_in_its_body_as_documented()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(label: "Fit the kitchen");
        var plan = await UploadAsync(user, task, "plan.bin", 300);
        var door = await UploadAsync(user, task, "door.bin", 200);

        var attached = await SendAsync(HttpMethod.Post, task, user.Hash, new JsonObject { ["files"] = new JsonArray(plan, door) }, suffix: ".json");
        Assert.Equal(HttpStatusCode.OK, attached.Status);
        Assert.Equal(2, (await SendAsync(HttpMethod.Get, task, user.Hash, suffix: ".json")).Body["count"]!.GetValue<int>());

        var deleted = await SendAsync(HttpMethod.Delete, task, user.Hash, new JsonObject { ["fileid"] = plan });
        Assert.True(deleted.Status == HttpStatusCode.OK, deleted.Body.ToJsonString());
        Assert.Equal([door], deleted.Body["response"]!["files"]!.AsArray().Select(f => f!["id"]!.GetValue<long>()));
        var quoted = await SendAsync(HttpMethod.Delete, task, user.Hash, new JsonObject { ["fileid"] = door.ToString(System.Globalization.CultureInfo.InvariantCulture) }, suffix: ".json");
        Assert.True(quoted.Status == HttpStatusCode.OK, quoted.Body.ToJsonString());
        Assert.Empty(quoted.Body["response"]!["files"]!.AsArray());
        await AssertErrorAsync(await SendAsync(HttpMethod.Delete, task, user.Hash, new JsonObject()), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Errors_come_in_its_envelope_with_its_statuses()
    {
        var user = await service.Client.NewUserAsync();
        var reader = await service.Client.NewKeyAsync(user.Id, "task_view");
        var stranger = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync();
        var file = await UploadAsync(user, task, "a.bin", 10);

        await AssertErrorAsync(await SendAsync(HttpMethod.Get, task, key: null), HttpStatusCode.Unauthorized);
        await AssertErrorAsync(await SendAsync(HttpMethod.Get, task, "0123456789abcdef0123456789abcdef"), HttpStatusCode.Unauthorized);
        await AssertErrorAsync(await SendAsync(HttpMethod.Get, task, "not a key"), HttpStatusCode.Unauthorized);
        await AssertErrorAsync(await SendAsync(HttpMethod.Get, task, stranger.Hash), HttpStatusCode.NotFound);
        await AssertErrorAsync(await SendAsync(HttpMethod.Post, task, reader, new JsonObject { ["files"] = new JsonArray(file) }), HttpStatusCode.Forbidden);
        await AssertErrorAsync(await SendAsync(HttpMethod.Post, task, user.Hash, new JsonObject { ["files"] = new JsonArray(file), ["taskid"] = task + 1 }), HttpStatusCode.BadRequest);
        await AssertErrorAsync(await SendAsync(HttpMethod.Post, task, user.Hash, new JsonObject { ["files"] = "all" }), HttpStatusCode.BadRequest);
        await AssertErrorAsync(await SendAsync(HttpMethod.Post, task, user.Hash, new JsonObject { ["files"] = new JsonArray(file + 1000) }), HttpStatusCode.BadRequest);
        await AssertErrorAsync(await SendAsync(HttpMethod.Delete, task, user.Hash, query: "?fileid=x"), HttpStatusCode.BadRequest);
        await AssertErrorAsync(await SendAsync(HttpMethod.Delete, task, user.Hash, query: $"?fileid={file + 1000}"), HttpStatusCode.NotFound);

        using var broken = new HttpRequestMessage(HttpMethod.Post, $"/api/2.0/project/task/{task}/files") { Content = new StringContent("{\"files\": [", System.Text.Encoding.UTF8, "application/json") };
        broken.Headers.TryAddWithoutValidation("Authorization", user.Hash);
        await AssertErrorAsync(await ReadAsync(await service.Client.SendAsync(broken)), HttpStatusCode.BadRequest);

        foreach (var body in new[] { "{\"files\": [\"\\ud800\"]}", "{\"files\": 5}", "[1, 2]", "{\"files\": [1], \"taskid\": \"\\udc00\"}", new string('[', 5000) })
        {
            using var hostile = new HttpRequestMessage(HttpMethod.Post, $"/api/2.0/project/task/{task}/files") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            hostile.Headers.TryAddWithoutValidation("Authorization", user.Hash);
            await AssertErrorAsync(await ReadAsync(await service.Client.SendAsync(hostile)), HttpStatusCode.BadRequest);
        }

        var same = await SendAsync(HttpMethod.Post, task, "Bearer " + user.Hash, new JsonObject { ["files"] = new JsonArray(file), ["taskid"] = task.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(HttpStatusCode.OK, same.Status);

        var bearer = await SendAsync(HttpMethod.Get, task, "Bearer " + user.Hash);
        Assert.Equal(HttpStatusCode.OK, bearer.Status);
        Assert.Equal(1, bearer.Body["count"]!.GetValue<int>());
    }

    private static Task AssertErrorAsync((HttpStatusCode Status, JsonObject Body) answer, HttpStatusCode expected)
    {
        Assert.True(answer.Status == expected, $"{answer.Status}: {answer.Body.ToJsonString()}");
        Assert.Equal(1, answer.Body["status"]!.GetValue<int>());
        Assert.Equal((int)expected, answer.Body["statusCode"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(answer.Body["error"]!["message"]!.GetValue<string>()));
        return Task.CompletedTask;
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(HttpMethod method, long task, string? key, JsonObject? body = null, string query = "", string suffix = "")
    {
        using var request = new HttpRequestMessage(method, $"/api/2.0/project/task/{task}/files{suffix}{query}");
        if (body is not null)
            request.Content = JsonContent.Create(body);
        if (key is not null)
            request.Headers.TryAddWithoutValidation("Authorization", key);
        return await ReadAsync(await service.Client.SendAsync(request));
    }

    private static async Task<(HttpStatusCode, JsonObject)> ReadAsync(HttpResponseMessage response) =>
        (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());

    private static async Task<long> UploadAsync(TestUser user, long task, string name, int size)
    {
        var value = (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = size, ["filename"] = name })).AssertOk().Body["value"]!;
        var reservation = new Uploads.Reservation(value["file_id"]!.GetValue<long>(), value["fields"]!["token"]!.GetValue<string>(), new Uri(value["sas_url"]!.GetValue<string>()), user);
        (await reservation.UploadAsync(new byte[size], name)).AssertOk();
        return reservation.FileId;
    }
}
