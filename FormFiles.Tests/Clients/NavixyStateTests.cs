using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Clients;

/// <summary>An enum-strict Navixy client reads a form that holds a rejected upload: only Navixy's four states reach it.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class NavixyStateTests(ServiceFixture service)
{
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter<FormFileState>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };

    [Fact]
    public async Task A_rejected_upload_reads_as_deleted_with_its_rejection_and_precisely_on_request()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync([new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" }]));
        var rejected = await user.ReserveAsync(task, "photo", 100, "p.jpg");
        (await rejected.UploadAsync("not a photo"u8.ToArray(), "p.jpg")).AssertError(7, HttpStatusCode.BadRequest);
        var uploaded = await user.ReserveAsync(task, "photo", 1000, "p.jpg");
        (await uploaded.UploadAsync(Uploads.JpegLike(500), "p.jpg")).AssertOk();
        await user.ReserveAsync(task, "photo", 100, "p.jpg");

        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task })).AssertOk();
        var typed = JsonSerializer.Deserialize<FormRead>(form.Raw, Strict)!;
        Assert.Equal([FormFileState.Deleted, FormFileState.Uploaded, FormFileState.Created], typed.Files.Select(f => f.State));
        Assert.Contains("images", form.Body["files"]![0]!["rejection"]!.GetValue<string>(), StringComparison.Ordinal);
        var read = (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = rejected.FileId })).AssertOk();
        Assert.Equal(FormFileState.Deleted, JsonSerializer.Deserialize<FileRead>(read.Raw, Strict)!.Value.State);

        var precise = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task, ["precise_states"] = true })).AssertOk();
        Assert.Equal("rejected", precise.Body["files"]![0]!["state"]!.GetValue<string>());
        Assert.Equal("rejected", (await rejected.ReadFileAsync())["state"]!.GetValue<string>());
    }

    private enum FormFileState
    {
        Created,
        InProgress,
        Uploaded,
        Deleted,
    }

    private sealed record FormRead(bool Success, List<FileValue> Files);

    private sealed record FileRead(bool Success, FileValue Value);

    private sealed record FileValue(int Id, FormFileState State);
}
