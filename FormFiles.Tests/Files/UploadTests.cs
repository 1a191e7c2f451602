using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FormFiles.Files;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Tests.Files;

[Collection(ServiceFixture.Collection)]
public sealed class UploadTests(ServiceFixture service)
{
    private const int MiB = 1024 * 1024;

    private static JsonArray Fields() =>
    [
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
        new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" },
        new JsonObject { ["id"] = "pdf", ["label"] = "Contract", ["type"] = "file", ["allowed_extensions"] = new JsonArray("pdf") },
        new JsonObject { ["id"] = "sign", ["label"] = "Signature", ["type"] = "signature" },
    ];

    private async Task<(TestUser User, long TaskId)> TaskAsync()
    {
        var user = await service.Client.NewUserAsync();
        return (user, await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields())));
    }

    private BlobContainerClient Container => new BlobServiceClient(service.Azurite.ConnectionString).GetBlobContainerClient("form-files");

    /// <summary>Whether any byte of the upload is still stored (an empty tombstone holding the name is none).</summary>
    private async Task<bool> HoldsBytesAsync(Uploads.Reservation r, long taskId) =>
        !(await StoredAsync(r, taskId)).HoldsNothing;

    private Task<StoredBytes> StoredAsync(Uploads.Reservation r, long taskId) => StoredBytes.OfAsync(service.Azurite.ConnectionString, $"{r.User.Id}/{taskId}/{r.FileId}");

    /// <summary>Changes a file row behind the service's back, as another actor (the sweep, a crash) would leave it.</summary>
    private async Task UpdateFileRowAsync(long taskId, long fileId, Action<TableEntity> change)
    {
        var tasks = new TableServiceClient(service.Azurite.ConnectionString).GetTableClient("tasks");
        var row = (await tasks.GetEntityAsync<TableEntity>(taskId.ToString("D19", System.Globalization.CultureInfo.InvariantCulture), FileEntity.Row(fileId))).Value;
        change(row);
        await tasks.UpdateEntityAsync(row, row.ETag);
    }

    private async Task<JsonNode> StatsAsync(TestUser user) => (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;

    [Fact]
    public async Task Sas_put_is_completed_by_reconciliation_without_any_further_call()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "photo", 1000, "parcel.jpg");

        Assert.Equal(HttpStatusCode.Created, (await reservation.PutAsync(Uploads.JpegLike(600))).StatusCode);
        var file = await reservation.WaitForCompletionAsync();

        Assert.Equal("uploaded", file["state"]!.GetValue<string>());
        Assert.Equal(600, file["size"]!.GetValue<long>());
        Assert.Equal("image/jpeg", file["mime_type"]!.GetValue<string>());
        Assert.Equal("image", file["type"]!.GetValue<string>());
        Assert.NotNull(file["uploaded"]);
        Assert.True(await Uploads.EventuallyAsync(async () => (await StatsAsync(user))["total_size"]!.GetValue<long>() == 600));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(MiB)]
    [InlineData(16 * MiB)]
    public async Task Multipart_upload_answers_with_the_uploaded_file(int size)
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "doc", size);
        var content = new byte[size];
        new Random(size).NextBytes(content); // Fixed bytes: nothing random decides a run.

        var response = (await reservation.UploadAsync(content, "report.bin")).AssertOk();

        var file = response.Body["value"]!;
        Assert.Equal(reservation.FileId, file["id"]!.GetValue<long>());
        Assert.Equal("uploaded", file["state"]!.GetValue<string>());
        Assert.Equal(size, file["size"]!.GetValue<long>());
        Assert.Equal("report.bin", file["name"]!.GetValue<string>());
        var stored = await StoredBytes.AcceptedAsync(service.Azurite.ConnectionString, $"{user.Id}/{taskId}/{reservation.FileId}");
        Assert.Equal(content, stored);
        Assert.Equal(size, (await StatsAsync(user))["total_size"]!.GetValue<long>());
    }

    [Fact]
    public async Task Sas_upload_one_byte_over_the_reservation_is_rejected_its_blob_deleted_and_its_quota_restored()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "doc", 100);

        await reservation.PutAsync(new byte[101]);
        var file = await reservation.WaitForCompletionAsync();

        Assert.Equal("rejected", file["state"]!.GetValue<string>());
        Assert.True(await Uploads.EventuallyAsync(async () => !await HoldsBytesAsync(reservation, taskId)));
        Assert.True(await Uploads.EventuallyAsync(async () =>
            JsonNode.DeepEquals(JsonNode.Parse("""{"file_count":0,"total_size":0,"quota":1073741824}"""), await StatsAsync(user))));
    }

    [Fact]
    public async Task Multipart_upload_one_byte_over_gives_271_commits_nothing_and_keeps_the_reservation()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "doc", 2 * MiB);

        (await reservation.UploadAsync(new byte[2 * MiB + 1])).AssertError(271, HttpStatusCode.RequestEntityTooLarge);

        // Only blocks it staged before it stopped stay uncommitted, at most the reserved size (a retry commits over them, the sweep purges them).
        var stored = await StoredAsync(reservation, taskId);
        Assert.True(stored is { Base: 0, Snapshots: 0, Accepted: 0, Uncommitted: <= 2 * MiB }, stored.ToString());
        Assert.Equal("created", (await reservation.ReadFileAsync())["state"]!.GetValue<string>());
        (await reservation.UploadAsync(new byte[2 * MiB])).AssertOk();
    }

    [Fact]
    public async Task Text_named_photo_jpg_is_rejected_on_a_photo_field()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "photo", 100, "photo.jpg");

        var response = (await reservation.UploadAsync(Encoding.UTF8.GetBytes("just some text"), "photo.jpg")).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains("takes only images", response.Description, StringComparison.Ordinal);
        Assert.Equal("rejected", (await reservation.ReadFileAsync())["state"]!.GetValue<string>());
        Assert.False(await HoldsBytesAsync(reservation, taskId));
        Assert.Equal(0, (await StatsAsync(user))["file_count"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("pdf", "contract.pdf", "%PDF-1.7 a contract", true)]
    [InlineData("pdf", "contract.doc", "%PDF-1.7 a contract", false)]
    [InlineData("pdf", null, "%PDF-1.7 a contract", false)]
    [InlineData("doc", "image.png", "not a png", false)]
    [InlineData("doc", "notes.txt", "any text", true)]
    [InlineData("sign", null, "GIF89a and then some", false)]
    public async Task Extension_and_content_must_agree(string field, string? filename, string content, bool accepted)
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, field, 100);
        if (filename is not null)
        {
            // Named as the multipart path names a reservation made without a filename, before any byte arrives.
            await UpdateFileRowAsync(taskId, reservation.FileId, row => row["Name"] = filename);
        }

        await reservation.PutAsync(Encoding.ASCII.GetBytes(content));
        var file = await service.Factory.Services.GetRequiredService<UploadCompletion>().HandleAsync($"{user.Id}/{taskId}/{reservation.FileId}", CancellationToken.None);

        Assert.Equal(accepted ? "uploaded" : "rejected", file!.State);
    }

    [Fact]
    public async Task Jpeg_with_exif_orientation_6_is_uploaded_with_metadata_orientation_6()
    {
        var (user, taskId) = await TaskAsync();
        var jpeg = Uploads.Asset("orientation-6.jpg");
        var reservation = await user.ReserveAsync(taskId, "photo", jpeg.Length, "door.jpg");

        var file = (await reservation.UploadAsync(jpeg, "door.jpg")).AssertOk().Body["value"]!;

        Assert.Equal("uploaded", file["state"]!.GetValue<string>());
        Assert.Equal(6, file["metadata"]!["orientation"]!.GetValue<int>());
    }

    [Fact]
    public async Task Client_metadata_is_kept_beside_the_orientation()
    {
        var (user, taskId) = await TaskAsync();
        var jpeg = Uploads.Asset("orientation-6.jpg");
        var created = (await user.CallAsync("task/form/file/create", new JsonObject
        {
            ["task_id"] = taskId, ["field_id"] = "photo", ["size"] = jpeg.Length, ["metadata"] = new JsonObject { ["camera"] = "rear" },
        })).AssertOk().Body["value"]!;

        var file = (await service.Client.UploadAsync(created["fields"]!["token"]!.GetValue<string>(), new MemoryStream(jpeg), "door.jpg")).AssertOk().Body["value"]!;

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"camera":"rear","orientation":6}"""), file["metadata"]), file.ToJsonString());
    }

    [Fact]
    public async Task Five_parallel_completions_make_one_state_change_and_count_quota_once()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "doc", 5000);
        await Container.GetBlobClient($"{user.Id}/{taskId}/{reservation.FileId}").UploadAsync(new BinaryData(new byte[1234]));

        var completion = service.Factory.Services.GetRequiredService<UploadCompletion>();
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => completion.HandleAsync($"{user.Id}/{taskId}/{reservation.FileId}", CancellationToken.None)));

        Assert.All(results, r => Assert.Equal("uploaded", r!.State));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"file_count":1,"total_size":1234,"quota":1073741824}"""), await StatsAsync(user)));
        var uploadedEvents = service.Factory.Services.GetFakeLogCollector().GetSnapshot()
            .Count(r => r.Id.Id == 2000 && r.Message.Contains($"File {reservation.FileId} ", StringComparison.Ordinal));
        Assert.Equal(1, uploadedEvents);
    }

    [Fact]
    public async Task Blob_of_a_swept_reservation_is_deleted_when_completion_sees_it()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "doc", 100);
        await UpdateFileRowAsync(taskId, reservation.FileId, row => row["State"] = "deleted"); // What the sweep leaves of an expired reservation.

        await reservation.PutAsync(new byte[10]);
        await service.Factory.Services.GetRequiredService<UploadCompletion>().HandleAsync($"{user.Id}/{taskId}/{reservation.FileId}", CancellationToken.None);

        Assert.False(await HoldsBytesAsync(reservation, taskId));
    }

    [Fact]
    public async Task Blob_written_after_its_reservation_expired_is_deleted_when_completion_sees_it()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "doc", 100);
        await UpdateFileRowAsync(taskId, reservation.FileId, row => row["Expires"] = DateTimeOffset.UtcNow - FileBlobs.ClockSkew - TimeSpan.FromMinutes(1));
        await Container.GetBlobClient($"{user.Id}/{taskId}/{reservation.FileId}").UploadAsync(new BinaryData(new byte[10]));

        var file = await service.Factory.Services.GetRequiredService<UploadCompletion>().HandleAsync($"{user.Id}/{taskId}/{reservation.FileId}", CancellationToken.None);

        Assert.Equal("deleted", file!.State); // A late upload deletes its file (file.deleted, reason late_upload).
        Assert.False(await HoldsBytesAsync(reservation, taskId));
    }

    [Theory]
    [InlineData("1/2/3")]
    [InlineData("not-ours.txt")]
    public async Task Blob_under_a_name_the_service_never_gave_is_deleted(string name)
    {
        await Container.GetBlobClient(name).UploadAsync(new BinaryData(new byte[3]), overwrite: true);

        await service.Factory.Services.GetRequiredService<UploadCompletion>().HandleAsync(name, CancellationToken.None);

        Assert.False((await Container.GetBlobClient(name).ExistsAsync()).Value); // No file owns it: not even a tombstone stays.
    }

    [Fact]
    public async Task A_used_token_gives_269_and_a_tampered_one_4()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "doc", 100);
        (await reservation.UploadAsync(new byte[10])).AssertOk();

        (await reservation.UploadAsync(new byte[10])).AssertError(269, HttpStatusCode.BadRequest);
        var tampered = reservation.Token[..^2] + (reservation.Token[^2] == 'A' ? "BB" : "AA");
        (await service.Client.UploadAsync(tampered, new MemoryStream(new byte[10]))).AssertError(4, HttpStatusCode.BadRequest);
        (await service.Client.UploadAsync("garbage", new MemoryStream(new byte[10]))).AssertError(4, HttpStatusCode.BadRequest);
        (await service.Client.UploadAsync(null, new MemoryStream(new byte[10]))).AssertError(7, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Upload_with_oversized_or_too_many_fields_before_the_file_gives_9()
    {
        using var big = new MultipartFormDataContent { { new StringContent(new string('x', 5000)), "token" }, { new ByteArrayContent([1]), "file", "a.bin" } };
        using var many = new MultipartFormDataContent();
        for (var i = 0; i < 17; i++)
            many.Add(new StringContent("x"), $"field{i}");
        many.Add(new ByteArrayContent([1]), "file", "a.bin");

        (await Envelope.ReadAsync(await service.Client.PostAsync("/v2/task/form/file/upload", big))).AssertError(9, HttpStatusCode.PreconditionFailed);
        (await Envelope.ReadAsync(await service.Client.PostAsync("/v2/task/form/file/upload", many))).AssertError(9, HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task Upload_that_is_not_multipart_gives_5()
    {
        var response = await service.Client.PostAsync("/v2/task/form/file/upload", new StringContent("token=x"));

        (await Envelope.ReadAsync(response)).AssertError(5, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Download_url_serves_the_file_under_its_unicode_name()
    {
        var (user, taskId) = await TaskAsync();
        const string name = "Übergabe – 北京 «final».pdf";
        var reservation = await user.ReserveAsync(taskId, "pdf", 100, name);
        (await reservation.UploadAsync(Encoding.ASCII.GetBytes("%PDF-1.7 signed"), "ignored.pdf")).AssertOk();

        var file = await reservation.ReadFileAsync();
        using var http = new HttpClient();
        var download = await http.GetAsync(new Uri(file["download_url"]!.GetValue<string>()));

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("%PDF-1.7 signed", await download.Content.ReadAsStringAsync());
        var disposition = download.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal(name, Uri.UnescapeDataString(disposition.FileNameStar!));
        Assert.Equal(name, file["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Form_read_lists_the_forms_files_and_file_read_hides_other_users_files()
    {
        var (user, taskId) = await TaskAsync();
        var stranger = await service.Client.NewUserAsync();
        var first = await user.ReserveAsync(taskId, "photo", 100);
        var second = await user.ReserveAsync(taskId, "doc", 100);
        (await second.UploadAsync(new byte[50], "a.bin")).AssertOk();

        var files = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = taskId })).AssertOk().Body["files"]!.AsArray();

        Assert.Equal([first.FileId, second.FileId], files.Select(f => f!["id"]!.GetValue<long>()));
        Assert.Equal(["created", "uploaded"], files.Select(f => f!["state"]!.GetValue<string>()));
        Assert.Null(files[0]!["download_url"]);
        Assert.Equal(100, files[0]!["size"]!.GetValue<long>());
        Assert.NotNull(files[1]!["download_url"]);
        Assert.Equal("photo", files[0]!["bindings"]!["form_field"]!["field_id"]!.GetValue<string>());
        Assert.False(files[0]!["bindings"]!["form_field"]!["submitted"]!.GetValue<bool>());
        (await stranger.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = first.FileId })).AssertError(201, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = 12345 })).AssertError(201, HttpStatusCode.BadRequest);
    }
}
