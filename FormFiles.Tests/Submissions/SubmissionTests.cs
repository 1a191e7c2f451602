using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FormFiles.Files;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Tests.Submissions;

[Collection(ServiceFixture.Collection)]
public sealed class SubmissionTests(ServiceFixture service)
{
    private static JsonArray Fields() =>
    [
        new JsonObject { ["id"] = "name", ["label"] = "Name", ["type"] = "text", ["required"] = true, ["min_length"] = 2, ["max_length"] = 10 },
        new JsonObject { ["id"] = "checks", ["label"] = "Checks", ["type"] = "checkbox_group", ["min_checked"] = 1, ["max_checked"] = 2,
            ["group"] = new JsonArray(new JsonObject { ["label"] = "A" }, new JsonObject { ["label"] = "B" }, new JsonObject { ["label"] = "C" }) },
        new JsonObject { ["id"] = "size", ["label"] = "Size", ["type"] = "dropdown", ["options"] = new JsonArray(new JsonObject { ["label"] = "S" }, new JsonObject { ["label"] = "L" }) },
        new JsonObject { ["id"] = "mood", ["label"] = "Mood", ["type"] = "radio_group", ["required"] = true, ["options"] = new JsonArray(new JsonObject { ["label"] = "Ok" }) },
        new JsonObject { ["id"] = "when", ["label"] = "When", ["type"] = "date", ["disable_past"] = true },
        new JsonObject { ["id"] = "stars", ["label"] = "Stars", ["type"] = "rating", ["max_stars"] = 5 },
        new JsonObject { ["id"] = "sep", ["label"] = "Proof", ["type"] = "separator" },
        new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" },
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo", ["max_files"] = 2 },
        new JsonObject { ["id"] = "sign", ["label"] = "Signature", ["type"] = "signature" },
    ];

    private static JsonObject Text(string text) => new() { ["type"] = "text", ["value"] = text };

    private static JsonObject Photos(params long[] ids) => new() { ["type"] = "photo", ["file_ids"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()) };

    private static JsonObject Docs(params long[] ids) => new() { ["type"] = "file", ["file_ids"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()) };

    private static JsonObject Minimal(string name = "Ann") => new()
    {
        ["name"] = Text(name),
        ["mood"] = new JsonObject { ["type"] = "radio_group", ["value_index"] = 0 },
    };

    private async Task<(TestUser User, long TaskId)> TaskAsync()
    {
        var user = await service.Client.NewUserAsync();
        return (user, await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields())));
    }

    private static async Task<Uploads.Reservation> UploadedAsync(TestUser user, long taskId, string field, byte[]? content = null)
    {
        var bytes = content ?? Uploads.JpegLike(300);
        var reservation = await user.ReserveAsync(taskId, field, bytes.Length);
        (await reservation.UploadAsync(bytes, field == "doc" ? "notes.txt" : "picture.jpg")).AssertOk();
        return reservation;
    }

    private static Task<Envelope> SubmitAsync(TestUser user, long taskId, JsonObject values, RequestForm form = RequestForm.Json) =>
        user.CallAsync("task/form/submit", new JsonObject { ["task_id"] = taskId, ["values"] = values.DeepClone() }, form);

    private async Task<JsonNode> FormAsync(TestUser user, long taskId) =>
        (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = taskId })).AssertOk().Body;

    [Fact]
    public async Task A_merge_that_reads_the_files_just_after_another_merge_dropped_one_its_stored_values_named_is_judged_again()
    {
        // Two merges of different fields: the second reads the form (its values name the old photo), then the first
        // commits a new photo (the old one deleted), then the second reads the files. It must not answer 242 for the
        // old photo, which its own call never named: it judges again on the new state.
        var storage = service.NewStorage();
        Func<Task> meanwhile = () => Task.CompletedTask;
        var interjection = new Interjection(
            m => m.Request.Method == Azure.Core.RequestMethod.Get && m.Request.Uri.Path.Contains("/tasks", StringComparison.Ordinal) && m.Request.Uri.Query.Contains("file-", StringComparison.Ordinal),
            () => meanwhile());
        await using var other = new FormFilesFactory(storage.Settings);
        await using var host = new FormFilesFactory(storage.Settings, services =>
            Microsoft.Extensions.Azure.AzureClientServiceCollectionExtensions.AddAzureClients(services, clients => clients.ConfigureDefaults(o => o.AddPolicy(interjection, Azure.Core.HttpPipelinePosition.PerCall))));
        var user = await other.CreateClient().NewUserAsync();
        var taskId = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields()));
        var first = await UploadedAsync(user, taskId, "photo");
        var values = Minimal();
        values["photo"] = Photos(first.FileId);
        (await user.CallAsync("task/form/values/merge", new JsonObject { ["task_id"] = taskId, ["values"] = values })).AssertOk();
        var second = await UploadedAsync(user, taskId, "photo");
        var doc = await UploadedAsync(user, taskId, "doc", new byte[20]);
        meanwhile = async () => (await user.CallAsync("task/form/values/merge", new JsonObject { ["task_id"] = taskId, ["values"] = new JsonObject { ["photo"] = Photos(second.FileId) } })).AssertOk();
        interjection.Armed = true;

        (await (user with { Client = host.CreateClient() }).CallAsync("task/form/values/merge", new JsonObject { ["task_id"] = taskId, ["values"] = new JsonObject { ["doc"] = Docs(doc.FileId) } })).AssertOk();

        Assert.True(interjection.Fired);
        var stored = (await FormAsync(user, taskId))["value"]!["values"]!;
        Assert.Equal(second.FileId, stored["photo"]!["file_ids"]![0]!.GetValue<long>());
        Assert.Equal(doc.FileId, stored["doc"]!["file_ids"]![0]!.GetValue<long>());
    }

    /// <summary>Every byte stored under a file's names (an empty tombstone keeping the name of a deleted file holds none).</summary>
    private Task<StoredBytes> StoredAsync(TestUser user, long taskId, long fileId) =>
        StoredBytes.OfAsync(service.Azurite.ConnectionString, FileBlobs.Name(user.Id, taskId, fileId));

    private BlobContainerClient Container => new BlobServiceClient(service.Azurite.ConnectionString).GetBlobContainerClient("form-files");

    [Fact]
    public async Task Every_failing_field_is_reported_at_once_with_its_code()
    {
        var (user, taskId) = await TaskAsync();
        var other = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields()));
        var docElsewhere = await UploadedAsync(user, other, "doc", "text"u8.ToArray());
        var notUploaded = await user.ReserveAsync(taskId, "sign", 100);
        var notImage = await UploadedAsync(user, taskId, "photo");
        await SetFileTypeAsync(taskId, notImage.FileId, "file");
        var yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        var response = (await SubmitAsync(user, taskId, new JsonObject
        {
            ["name"] = Text("x"),
            ["checks"] = new JsonObject { ["type"] = "checkbox_group", ["values"] = new JsonArray(true, true, true) },
            ["size"] = new JsonObject { ["type"] = "dropdown", ["value_index"] = 2 },
            ["mood"] = null,
            ["when"] = new JsonObject { ["type"] = "date", ["value"] = yesterday },
            ["stars"] = new JsonObject { ["type"] = "text", ["value"] = "5" },
            ["doc"] = Docs(docElsewhere.FileId),
            ["photo"] = Photos(notImage.FileId),
            ["sign"] = new JsonObject { ["type"] = "signature", ["file_id"] = notUploaded.FileId },
        })).AssertErrorWithFields(242);

        var errors = response.Body["errors"]!.AsArray().Select(e => (e!["field_id"]!.GetValue<string>(), e["code"]!.GetValue<int>())).ToList();
        Assert.Equal(
            [("name", 5), ("checks", 7), ("size", 4), ("mood", 3), ("when", 6), ("stars", 2), ("doc", 8), ("photo", 9), ("sign", 10)],
            errors);
        Assert.All(response.Body["errors"]!.AsArray(), e => Assert.False(string.IsNullOrWhiteSpace(e!["error"]!.GetValue<string>())));
        Assert.Null((await FormAsync(user, taskId))["value"]!["submitted"]);
    }

    [Theory]
    [InlineData("""{"mood": {"type": "radio_group", "value_index": 0}}""", "name", 1)]
    [InlineData("""{"name": {"type": "text", "value": ""}, "mood": {"type": "radio_group", "value_index": 0}}""", "name", 1)]
    [InlineData("""{"name": {"type": "text", "value": "Ann"}, "mood": {"type": "radio_group", "value_index": 0}, "checks": {"type": "checkbox_group", "values": [false, false, true, true]}}""", "checks", 5)]
    [InlineData("""{"name": {"type": "text", "value": "Ann"}, "mood": {"type": "radio_group", "value_index": 0}, "stars": {"type": "rating", "value": 0}}""", "stars", 6)]
    [InlineData("""{"name": {"type": "text", "value": "Ann"}, "mood": {"type": "radio_group", "value_index": 0}, "stars": {"type": "rating", "value": 6}}""", "stars", 7)]
    [InlineData("""{"name": {"type": "text", "value": "Ann"}, "mood": {"type": "radio_group", "value_index": 0}, "size": "S"}""", "size", 2)]
    [InlineData("""{"name": {"type": "text", "value": "Ann"}, "mood": {"type": "radio_group", "value_index": 0}, "doc": {"type": "file", "file_ids": [99]}}""", "doc", 8)]
    [InlineData("""{"name": {"type": "text", "value": "Ann"}, "mood": {"type": "radio_group", "value_index": 0}, "photo": {"type": "photo", "file_ids": [1, 2, 3]}}""", "photo", 5)]
    public async Task A_single_failing_field_gives_242_with_its_code(string values, string field, int code)
    {
        var (user, taskId) = await TaskAsync();

        var response = (await SubmitAsync(user, taskId, JsonNode.Parse(values)!.AsObject())).AssertErrorWithFields(242);

        var error = Assert.Single(response.Body["errors"]!.AsArray())!;
        Assert.Equal(field, error["field_id"]!.GetValue<string>());
        Assert.Equal(code, error["code"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(RequestForms.All), MemberType = typeof(RequestForms))]
    public async Task Seed_flow_create_put_submit_read(RequestForm form)
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "photo", 1000, "door.jpg");
        Assert.Equal(HttpStatusCode.Created, (await reservation.PutAsync(Uploads.JpegLike(700))).StatusCode);
        var values = Minimal();
        values["photo"] = Photos(reservation.FileId);

        // Submitted at once: the submission completes the upload itself if the event is late.
        (await user.CallAsync("task/form/submit", new JsonObject
        {
            ["task_id"] = taskId,
            ["values"] = values.DeepClone(),
            ["location"] = new JsonObject { ["lat"] = 52.52, ["lng"] = 13.405, ["address"] = "Unter den Linden 1" },
        }, form)).AssertOk();

        var read = await FormAsync(user, taskId);
        var formValue = read["value"]!;
        Assert.True(JsonNode.DeepEquals(values, formValue["values"]), formValue["values"]!.ToJsonString());
        Assert.NotNull(formValue["submitted"]);
        Assert.Equal("Unter den Linden 1", formValue["submit_location"]!["address"]!.GetValue<string>());
        var file = Assert.Single(read["files"]!.AsArray())!;
        Assert.Equal(reservation.FileId, file["id"]!.GetValue<long>());
        Assert.Equal("uploaded", file["state"]!.GetValue<string>());
        Assert.True(file["bindings"]!["form_field"]!["submitted"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Resubmission_that_replaces_a_photo_deletes_the_old_blob_and_gives_its_quota_back()
    {
        var (user, taskId) = await TaskAsync();
        var first = await UploadedAsync(user, taskId, "photo", Uploads.JpegLike(1000));
        var values = Minimal();
        values["photo"] = Photos(first.FileId);
        (await SubmitAsync(user, taskId, values)).AssertOk();
        var second = await UploadedAsync(user, taskId, "photo", Uploads.JpegLike(400));

        values["photo"] = Photos(second.FileId);
        (await user.CallAsync("task/form/values/update", new JsonObject { ["task_id"] = taskId, ["values"] = values.DeepClone() })).AssertOk();

        Assert.True((await StoredAsync(user, taskId, first.FileId)).HoldsNothing);
        Assert.Equal(400, (await StoredAsync(user, taskId, second.FileId)).Total); // Its accepted copy, and nothing under its upload name.
        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.Equal(1, stats["file_count"]!.GetValue<long>());
        Assert.Equal(400, stats["total_size"]!.GetValue<long>());
        (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = first.FileId })).AssertError(201, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Left_out_uploads_are_deleted_at_submission_while_pending_reservations_survive()
    {
        var (user, taskId) = await TaskAsync();
        var kept = await UploadedAsync(user, taskId, "doc", "kept"u8.ToArray());
        var leftOut = await UploadedAsync(user, taskId, "doc", "left out"u8.ToArray());
        var pending = await user.ReserveAsync(taskId, "photo", 500);
        var values = Minimal();
        values["doc"] = Docs(kept.FileId);

        (await SubmitAsync(user, taskId, values)).AssertOk();

        var files = (await FormAsync(user, taskId))["files"]!.AsArray();
        Assert.Equal([kept.FileId, pending.FileId], files.Select(f => f!["id"]!.GetValue<long>()));
        Assert.Equal("created", files[1]!["state"]!.GetValue<string>());
        Assert.True((await StoredAsync(user, taskId, leftOut.FileId)).HoldsNothing);
        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.Equal(2, stats["file_count"]!.GetValue<long>());
        Assert.Equal(4 + 500, stats["total_size"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("done")]
    [InlineData("failed")]
    public async Task Submit_and_update_give_255_for_a_closed_task(string status)
    {
        var (user, taskId) = await TaskAsync();
        (await SubmitAsync(user, taskId, Minimal())).AssertOk();
        (await user.CallAsync("task/status/change", new JsonObject { ["task_id"] = taskId, ["status"] = status })).AssertOk();

        (await SubmitAsync(user, taskId, Minimal())).AssertError(255, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/values/update", new JsonObject { ["task_id"] = taskId, ["values"] = Minimal() })).AssertError(255, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Values_update_before_any_submission_gives_255()
    {
        var (user, taskId) = await TaskAsync();

        (await user.CallAsync("task/form/values/update", new JsonObject { ["task_id"] = taskId, ["values"] = Minimal() })).AssertError(255, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Submit_without_a_form_or_for_another_user_gives_201_and_bad_parameters_7()
    {
        var (user, taskId) = await TaskAsync();
        var formless = await user.CreateTaskAsync();
        var stranger = await service.Client.NewUserAsync();

        (await SubmitAsync(user, formless, Minimal())).AssertError(201, HttpStatusCode.BadRequest);
        (await SubmitAsync(stranger, taskId, Minimal())).AssertError(201, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/submit", new JsonObject { ["task_id"] = taskId, ["values"] = "text" })).AssertError(7, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/submit", new JsonObject { ["task_id"] = taskId, ["values"] = Minimal(), ["location"] = new JsonObject { ["lat"] = 91, ["lng"] = 0 } }))
            .AssertError(7, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Ten_parallel_submissions_store_exactly_one_of_them_and_no_file_is_both_submitted_and_deleted()
    {
        var (user, taskId) = await TaskAsync();
        var docs = new List<long>();
        for (var i = 0; i < 5; i++)
            docs.Add((await UploadedAsync(user, taskId, "doc", new byte[] { (byte)i })).FileId);
        var submissions = Enumerable.Range(0, 10).Select(i =>
        {
            var values = Minimal($"Name {i}");
            values["doc"] = Docs(docs[i % 5]);
            return values;
        }).ToList();

        var results = await Task.WhenAll(submissions.Select(v => SubmitAsync(user, taskId, v)));

        Assert.Contains(results, r => r.Success);
        Assert.All(results.Where(r => !r.Success), r => Assert.Equal(242, r.Code));
        var stored = (await FormAsync(user, taskId))["value"]!["values"]!;
        var winner = Assert.Single(submissions, s => JsonNode.DeepEquals(s, stored));
        var boundId = winner["doc"]!["file_ids"]![0]!.GetValue<long>();
        var rows = await FileRowsAsync(taskId);
        Assert.DoesNotContain(rows, r => r.GetBoolean("Submitted") == true && r.GetString("State") == "deleted");
        Assert.Equal([boundId], rows.Where(r => r.GetBoolean("Submitted") == true).Select(r => r.GetInt64("Id")!.Value));
        Assert.All(rows.Where(r => r.GetInt64("Id") != boundId), r => Assert.Equal("deleted", r.GetString("State")));
        Assert.True(await Uploads.EventuallyAsync(async () => (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["file_count"]!.GetValue<long>() == 1));
    }

    [Fact]
    public async Task Submission_racing_the_completion_of_its_file_stays_consistent()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "photo", 1000);
        await Container.GetBlobClient($"{user.Id}/{taskId}/{reservation.FileId}").UploadAsync(new BinaryData(Uploads.JpegLike(640)));
        var values = Minimal();
        values["photo"] = Photos(reservation.FileId);
        var completion = service.Factory.Services.GetRequiredService<UploadCompletion>();

        var submit = SubmitAsync(user, taskId, values);
        var completions = Enumerable.Range(0, 5).Select(_ => completion.HandleAsync($"{user.Id}/{taskId}/{reservation.FileId}", CancellationToken.None)).ToList();
        await Task.WhenAll(completions);
        (await submit).AssertOk();

        var file = Assert.Single((await FormAsync(user, taskId))["files"]!.AsArray())!;
        Assert.Equal("uploaded", file["state"]!.GetValue<string>());
        Assert.True(file["bindings"]!["form_field"]!["submitted"]!.GetValue<bool>());
        Assert.True(await Uploads.EventuallyAsync(async () =>
            JsonNode.DeepEquals(JsonNode.Parse("""{"file_count":1,"total_size":640,"quota":1073741824}"""), (await user.CallAsync("file/stats/read")).AssertOk().Body["value"])));
    }

    [Fact]
    public async Task File_delete_removes_an_unsubmitted_file_and_refuses_a_submitted_one()
    {
        var (user, taskId) = await TaskAsync();
        var submitted = await UploadedAsync(user, taskId, "doc", "keep"u8.ToArray());
        var values = Minimal();
        values["doc"] = Docs(submitted.FileId);
        (await SubmitAsync(user, taskId, values)).AssertOk();
        var extra = await UploadedAsync(user, taskId, "photo", Uploads.JpegLike(321));
        var reserved = await user.ReserveAsync(taskId, "photo", 1000);
        var stranger = await service.Client.NewUserAsync();

        (await stranger.CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = extra.FileId })).AssertError(201, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = submitted.FileId })).AssertError(269, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = extra.FileId })).AssertOk();
        (await user.CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = reserved.FileId })).AssertOk();
        (await user.CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = extra.FileId })).AssertError(201, HttpStatusCode.BadRequest);

        Assert.True((await StoredAsync(user, taskId, extra.FileId)).HoldsNothing);
        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.Equal(1, stats["file_count"]!.GetValue<long>());
        Assert.Equal(4, stats["total_size"]!.GetValue<long>());
        for (var i = 0; i < 6; i++)
            await user.ReserveAsync(taskId, "photo", 10); // The deleted ones gave their slots back.
    }

    private async Task<List<TableEntity>> FileRowsAsync(long taskId)
    {
        var table = new TableServiceClient(service.Azurite.ConnectionString).GetTableClient("tasks");
        var key = taskId.ToString("D19", CultureInfo.InvariantCulture);
        return await table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {key} and RowKey ge {"file-"} and RowKey lt {"file."}")).ToListAsync();
    }

    /// <summary>A file whose kind changed behind the service's back (no upload path makes a non-image photo).</summary>
    private async Task SetFileTypeAsync(long taskId, long fileId, string type)
    {
        var table = new TableServiceClient(service.Azurite.ConnectionString).GetTableClient("tasks");
        var row = (await table.GetEntityAsync<TableEntity>(taskId.ToString("D19", CultureInfo.InvariantCulture), FileEntity.Row(fileId))).Value;
        row["Type"] = type;
        await table.UpdateEntityAsync(row, row.ETag);
    }
}
