using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Dialects;

/// <summary>
/// Seed 004's own JavaScript, request by request: its <c>FormData</c> appends the file first (<c>name</c>, with the file's
/// name and type), then <c>source</c>, <c>uploaded_from</c>, <c>subject_type</c>, <c>subject_id</c>, <c>step_id</c> and
/// <c>checklist_id</c>, with its three headers; then the asset goes into <c>taskdata</c> by PUT. A file before its fields
/// waits in a staging blob, under the same limits, and nothing of it stays.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class TallyfySeedTests(ServiceFixture service)
{
    private static JsonArray Fields =>
    [
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
        new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file", ["max_file_size"] = 1000 },
    ];

    private static BlobContainerClient Accepted => new BlobServiceClient(ServiceFixture.SharedConnectionString).GetBlobContainerClient(FormFiles.Files.FileBlobs.AcceptedContainerName);

    [Fact]
    public async Task The_seeds_upload_with_the_file_first_then_its_put_attach_the_photo()
    {
        var user = await service.Client.NewUserAsync();
        var template = await user.CreateTemplateAsync(Fields);
        var run = await user.CreateTaskAsync(template);
        var photo = Uploads.JpegLike(1500);

        var (status, body) = await SeedUploadAsync(user, photo, "parcel.jpg", "photo", run, template);

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        var asset = body["data"]![0]!.AsObject();
        Assert.Equal("parcel.jpg", asset["filename"]!.GetValue<string>());
        Assert.Equal("photo", asset["uploaded_from"]!.GetValue<string>());
        Assert.Equal("step_id_xyz789", asset["step_id"]!.GetValue<string>());
        Assert.Equal(1500, asset["size"]!.GetValue<long>());
        Assert.Equal(1500, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["total_size"]!.GetValue<long>()); // Reserved at its size.
        await AssertNothingStagedAsync();

        // attachFileToTask(assetObject, orgId, runId, taskId, formFieldId, token)
        using var put = Authorized(HttpMethod.Put, $"/api/organizations/{user.Id}/runs/{run}/tasks/{run}", user.Hash);
        put.Content = new StringContent(new JsonObject { ["taskdata"] = new JsonObject { ["photo"] = new JsonArray(asset.DeepClone()) } }.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var attached = await service.Client.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, attached.StatusCode);

        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = run })).AssertOk().Body["value"]!;
        Assert.Equal(long.Parse(asset["id"]!.GetValue<string>(), CultureInfo.InvariantCulture), form["values"]!["photo"]!["file_ids"]![0]!.GetValue<long>());
        using var download = await service.Client.SendAsync(Authorized(HttpMethod.Get, $"/organizations/{user.Id}/file/{asset["id"]}/dl", user.Hash));
        Assert.Equal(photo, await download.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_file_first_upload_keeps_the_fields_size_limit_the_service_limit_and_the_quota_and_leaves_nothing()
    {
        var user = await service.Client.NewUserAsync();
        var template = await user.CreateTemplateAsync(Fields);
        var run = await user.CreateTaskAsync(template);

        var (fieldStatus, fieldBody) = await SeedUploadAsync(user, new byte[1001], "big.pdf", "doc", run, template); // The field takes 1,000 bytes.
        Assert.True(fieldStatus is HttpStatusCode.UnprocessableEntity or HttpStatusCode.RequestEntityTooLarge, fieldBody.ToJsonString());
        Assert.Equal(271, fieldBody["code"]!.GetValue<int>());

        var (serviceStatus, serviceBody) = await SeedUploadAsync(user, new byte[16 * 1024 * 1024 + 1], "huge.bin", "photo", run, template);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, serviceStatus);
        Assert.Equal(271, serviceBody["code"]!.GetValue<int>());

        // A key that may only read is refused before a byte is staged.
        var reader = new TestUser(user.Id, await service.Client.NewKeyAsync(user.Id, "task_view"), service.Client);
        var (readOnlyStatus, readOnlyBody) = await SeedUploadAsync(reader, Uploads.JpegLike(800), "p.jpg", "photo", run, template);
        Assert.Equal(HttpStatusCode.Forbidden, readOnlyStatus);
        Assert.Equal(11, readOnlyBody["code"]!.GetValue<int>());

        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["quota_bytes"] = 500 })).AssertOk();
        var (quotaStatus, quotaBody) = await SeedUploadAsync(user, Uploads.JpegLike(800), "p.jpg", "photo", run, template);
        Assert.False(quotaStatus == HttpStatusCode.OK, quotaBody.ToJsonString());

        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.Equal(0, stats["total_size"]!.GetValue<long>());
        Assert.Empty((await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = run })).AssertOk().Body["files"]!.AsArray());
        await AssertNothingStagedAsync();
    }

    [Fact]
    public async Task A_body_that_breaks_after_the_staged_file_is_refused_and_leaves_nothing()
    {
        var user = await service.Client.NewUserAsync();
        var template = await user.CreateTemplateAsync(Fields);
        var run = await user.CreateTaskAsync(template);
        const string boundary = "----seed";
        var head = $"--{boundary}\r\nContent-Disposition: form-data; name=\"name\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n";
        var tail = $"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"uploaded_from\"\r\n\r\nphoto"; // Cut off: no closing boundary.
        var bytes = System.Text.Encoding.ASCII.GetBytes(head).Concat(Uploads.JpegLike(400)).Concat(System.Text.Encoding.ASCII.GetBytes(tail)).ToArray();
        using var request = Authorized(HttpMethod.Post, $"/organizations/{user.Id}/file", user.Hash);
        request.Content = new ByteArrayContent(bytes);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");

        using var response = await service.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty((await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = run })).AssertOk().Body["files"]!.AsArray());
        await AssertNothingStagedAsync();
    }

    [Fact]
    public async Task Task_data_mixes_files_with_the_forms_other_fields_and_leaves_the_tasks_own_properties()
    {
        var user = await service.Client.NewUserAsync();
        var template = await user.CreateTemplateAsync(
        [
            new JsonObject { ["id"] = "notes", ["label"] = "Notes", ["type"] = "text" },
            new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
            new JsonObject { ["id"] = "size", ["label"] = "Size", ["type"] = "dropdown", ["options"] = new JsonArray(new JsonObject { ["label"] = "S" }, new JsonObject { ["label"] = "L" }) },
            new JsonObject { ["id"] = "checks", ["label"] = "Checks", ["type"] = "checkbox_group", ["min_checked"] = 0, ["max_checked"] = 2, ["group"] = new JsonArray(new JsonObject { ["label"] = "Sealed" }, new JsonObject { ["label"] = "Dry" }) },
        ]);
        var run = await user.CreateTaskAsync(template);
        var asset = (await SeedUploadAsync(user, Uploads.JpegLike(600), "door.jpg", "photo", run, template)).Body["data"]![0]!;

        // "You can include other task updates here too (e.g., summary, deadline)".
        var (status, answer) = await PutTaskDataAsync(user, run, new JsonObject
        {
            ["taskdata"] = new JsonObject
            {
                ["notes"] = "Left at door",
                ["photo"] = new JsonArray(asset.DeepClone()),
                ["size"] = new JsonObject { ["id"] = "opt-2", ["text"] = "L" },
                ["checks"] = new JsonArray(new JsonObject { ["text"] = "Dry", ["selected"] = true }),
            },
            ["summary"] = "Delivered",
            ["deadline"] = "2026-12-31T12:00:00Z",
        });

        Assert.True(status == HttpStatusCode.OK, answer.ToJsonString());
        Assert.Equal("Left at door", answer["data"]!["taskdata"]!["notes"]!.GetValue<string>());
        Assert.Equal("L", answer["data"]!["taskdata"]!["size"]!["text"]!.GetValue<string>());
        Assert.Equal("Dry", answer["data"]!["taskdata"]!["checks"]![0]!.GetValue<string>());
        var values = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = run })).AssertOk().Body["value"]!["values"]!;
        Assert.Equal("Left at door", values["notes"]!["value"]!.GetValue<string>());
        Assert.Equal(1, values["size"]!["value_index"]!.GetValue<int>());
        Assert.Equal([false, true], values["checks"]!["values"]!.AsArray().Select(b => b!.GetValue<bool>()));
        Assert.Single(values["photo"]!["file_ids"]!.AsArray());

        // A value with no reading for its field is refused whole, in Tallyfy's envelope.
        var (refused, _) = await PutTaskDataAsync(user, run, new JsonObject { ["taskdata"] = new JsonObject { ["notes"] = "kept?", ["size"] = new JsonObject { ["text"] = "XL" } } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Equal("Left at door", (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = run })).AssertOk().Body["value"]!["values"]!["notes"]!["value"]!.GetValue<string>());
    }

    private Task<(HttpStatusCode Status, JsonNode Body)> PutTaskDataAsync(TestUser user, long run, JsonObject body) =>
        PutTaskDataAsync(user, run.ToString(CultureInfo.InvariantCulture), run.ToString(CultureInfo.InvariantCulture), body);

    private async Task<(HttpStatusCode Status, JsonNode Body)> PutTaskDataAsync(TestUser user, string run, string task, JsonObject body)
    {
        using var put = Authorized(HttpMethod.Put, $"/organizations/{user.Id}/runs/{run}/tasks/{task}", user.Hash);
        put.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var response = await service.Client.SendAsync(put);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task Runs_are_held_as_tallyfy_clients_hold_them_string_ids_and_task_ids_of_their_own()
    {
        var user = await service.Client.NewUserAsync();
        var template = await user.CreateTemplateAsync(Fields);
        const string runId = "a1b2c3d4e5f60718293a4b5c6d7e8f90"; // Tallyfy's run ids are strings: the task's external_id.
        var task = (await user.CallAsync("task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = "Run", ["external_id"] = runId, ["form_template_id"] = template }, ["create_form"] = true })).AssertOk().Body["id"]!.GetValue<long>();

        var (status, body) = await SeedUploadAsync(user, Uploads.JpegLike(400), "p.jpg", "photo", runId, template);
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        var asset = body["data"]![0]!;
        Assert.Equal(runId, asset["subject"]!["id"]!.GetValue<string>());

        // A run's tasks are steps of its one form: a task id of its own addresses it.
        var (put, answer) = await PutTaskDataAsync(user, runId, "task_7f3e9a", new JsonObject { ["taskdata"] = new JsonObject { ["photo"] = new JsonArray(asset.DeepClone()) } });
        Assert.True(put == HttpStatusCode.OK, answer.ToJsonString());
        Assert.Equal(runId, answer["data"]!["run_id"]!.GetValue<string>());
        Assert.Equal("task_7f3e9a", answer["data"]!["id"]!.GetValue<string>());
        Assert.Single((await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task })).AssertOk().Body["value"]!["values"]!["photo"]!["file_ids"]!.AsArray());

        // Numeric runs with task ids of their own (PUT …/runs/5/tasks/9).
        var numeric = await user.CreateTaskAsync(template);
        var (numericPut, _) = await PutTaskDataAsync(user, numeric.ToString(CultureInfo.InvariantCulture), "9", new JsonObject { ["taskdata"] = new JsonObject { ["photo"] = new JsonArray() } });
        Assert.Equal(HttpStatusCode.OK, numericPut);

        // Two tasks with the same external_id: the run is ambiguous, and nothing is written.
        (await user.CallAsync("task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = "Twin", ["external_id"] = runId, ["form_template_id"] = template }, ["create_form"] = true })).AssertOk();
        var (ambiguous, _) = await PutTaskDataAsync(user, runId, "t", new JsonObject { ["taskdata"] = new JsonObject { ["photo"] = new JsonArray() } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, ambiguous);
    }

    private Task<(HttpStatusCode Status, JsonObject Body)> SeedUploadAsync(TestUser user, byte[] bytes, string fileName, string formFieldId, long runId, long checklistId) =>
        SeedUploadAsync(user, bytes, fileName, formFieldId, runId.ToString(CultureInfo.InvariantCulture), checklistId);

    private Task<(HttpStatusCode Status, JsonObject Body)> SeedUploadAsync(TestUser user, byte[] bytes, string fileName, string formFieldId, string runId, long checklistId) =>
        TallyfySeed.UploadAsync(service.Client, user, bytes, fileName, formFieldId, runId, checklistId);

    private static HttpRequestMessage Authorized(HttpMethod method, string path, string hash) => TallyfySeed.Authorized(method, path, hash);

    /// <summary>No staging blob, and no uncommitted blocks of one (an aborted or oversized staging stages blocks it never commits).</summary>
    private static async Task AssertNothingStagedAsync() =>
        Assert.Empty(await Accepted.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.Uncommitted, FormFiles.Files.FileBlobs.StagingPrefix, CancellationToken.None).ToListAsync());
}
