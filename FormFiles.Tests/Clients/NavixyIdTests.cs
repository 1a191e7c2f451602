using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using FormFiles.Files;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Clients;

/// <summary>
/// What a typed Navixy client holds: every id an <c>int</c> (signed 32-bit), parsed strictly, for the life of
/// a deployment; and the end of the ids, answered as 267.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class NavixyIdTests(ServiceFixture service)
{
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    private static JsonArray Fields() =>
    [
        .. Enumerable.Range(0, 4).Select(i => (JsonNode)new JsonObject { ["id"] = $"photo{i}", ["label"] = "Photo", ["type"] = "photo" }),
    ];

    /// <summary>A host on storage of its own whose task sequence goes on from <paramref name="next"/>.</summary>
    private async Task<(FormFilesFactory Host, TestUser User)> HostFromAsync(long next)
    {
        var storage = service.NewStorage();
        var host = new FormFilesFactory(storage.Settings);
        var client = host.CreateClient();
        var user = await client.NewUserAsync();
        await storage.Table("counters").UpsertEntityAsync(new TableEntity("task", "next") { ["Next"] = next });
        return (host, user);
    }

    [Fact]
    public async Task Ids_of_a_deployment_s_late_tasks_and_of_a_task_s_many_files_parse_as_int32()
    {
        // Task 5000 is past where file ids used to leave int32 (task × 2^20 from task 2048 on).
        var (host, user) = await HostFromAsync(5000);
        await using var _ = host;
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields()));
        Assert.True(task >= 5000);

        var created = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            var answer = (await user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = task, ["field_id"] = $"photo{i % 4}", ["size"] = 1000 })).AssertOk();
            created.Add(JsonSerializer.Deserialize<Created>(answer.Raw, Strict)!.Value.FileId);
        }

        Assert.Equal(20, created.Distinct().Count());
        // The twentieth file is in the task's third block: its id still finds it, and it uploads and submits.
        var last = created[^1];
        var read = (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = last })).AssertOk();
        Assert.Equal(last, JsonSerializer.Deserialize<FileRead>(read.Raw, Strict)!.Value.Id);
        var token = (await user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = task, ["field_id"] = "photo0", ["size"] = 1000 })).AssertOk();
        var tokenOf = JsonSerializer.Deserialize<Created>(token.Raw, Strict)!.Value;
        (await user.Client.UploadAsync(tokenOf.Fields.Token, new MemoryStream(Uploads.JpegLike(500)), "p.jpg")).AssertOk();
        (await user.CallAsync("task/form/submit", new JsonObject
        {
            ["task_id"] = task,
            ["values"] = new JsonObject { ["photo0"] = new JsonObject { ["type"] = "photo", ["file_ids"] = new JsonArray(tokenOf.FileId) } },
        })).AssertOk();

        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task })).AssertOk();
        var typed = JsonSerializer.Deserialize<FormRead>(form.Raw, Strict)!;
        Assert.Equal(task, typed.Value.TaskId);
        Assert.Contains(typed.Files, f => f.Id == tokenOf.FileId && f.State == "uploaded");
        Assert.Equal([tokenOf.FileId], typed.Value.Values["photo0"].FileIds);
        Assert.All(typed.Files, f => Assert.Contains(f.Id, created.Append(tokenOf.FileId)));
    }

    [Fact]
    public async Task The_last_ids_of_a_deployment_are_handed_out_and_then_267_says_so()
    {
        var (host, user) = await HostFromAsync(FileIds.MaxNumber);
        await using var _ = host;
        var template = await user.CreateTemplateAsync(Fields());
        var task = await user.CreateTaskAsync(template);
        Assert.Equal(FileIds.MaxNumber, task);

        var ids = new List<int>();
        for (var i = 0; i < FileIds.BlockSize; i++)
        {
            var answer = (await user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = task, ["field_id"] = $"photo{i % 4}", ["size"] = 10 })).AssertOk();
            ids.Add(JsonSerializer.Deserialize<Created>(answer.Raw, Strict)!.Value.FileId);
        }

        Assert.Equal(int.MaxValue, ids.Max());
        // The ninth file needs a block no number is left for; so does another task.
        (await user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = task, ["field_id"] = "photo0", ["size"] = 10 })).AssertError(267, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = "One more" } })).AssertError(267, HttpStatusCode.BadRequest);
        var listed = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task })).AssertOk();
        Assert.Equal(FileIds.BlockSize, JsonSerializer.Deserialize<FormRead>(listed.Raw, Strict)!.Files.Count);
    }

    private sealed record Created(bool Success, CreatedValue Value);

    private sealed record CreatedValue([property: System.Text.Json.Serialization.JsonPropertyName("file_id")] int FileId, CreatedFields Fields);

    private sealed record CreatedFields(string Token);

    private sealed record FileRead(bool Success, FileValue Value);

    private sealed record FileValue(int Id, [property: System.Text.Json.Serialization.JsonPropertyName("user_id")] int UserId, string State);

    private sealed record FormRead(bool Success, FormValue Value, List<FileValue> Files);

    private sealed record FormValue(
        int Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("task_id")] int TaskId,
        [property: System.Text.Json.Serialization.JsonPropertyName("template_id")] int TemplateId,
        Dictionary<string, FieldValue> Values);

    private sealed record FieldValue([property: System.Text.Json.Serialization.JsonPropertyName("file_ids")] List<int> FileIds);
}
