using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using FormFiles.Files;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Hardening;

/// <summary>What landed in time counts as in time; names and content cannot lie. (What the upload SAS can do: <see cref="SasAttackTests"/>.)</summary>
[Collection(ServiceFixture.Collection)]
public sealed class UploadIntegrityTests(ServiceFixture service)
{
    private const int MiB = 1024 * 1024;

    private static JsonArray Fields() =>
    [
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
        new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" },
    ];

    /// <summary>Storage of the test's own, once it runs a host on a clock of its own (<see cref="HostOn"/>).</summary>
    private TestStorage? own;

    private async Task<(TestUser User, long TaskId)> TaskAsync(HttpClient? client = null)
    {
        var user = await (client ?? service.Client).NewUserAsync();
        return (user, await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields())));
    }

    /// <summary>A host on <paramref name="clock"/>, on storage of the test's own, which <see cref="Container"/> then names.</summary>
    private FormFilesFactory HostOn(TimeProvider clock) => FormFilesFactory.OnClock(own = service.NewStorage(), clock);

    private BlobContainerClient Container => own?.Container ?? new BlobServiceClient(service.Azurite.ConnectionString).GetBlobContainerClient(FileBlobs.ContainerName);

    private BlobClient BlobOf(Uploads.Reservation r, long taskId) => Container.GetBlobClient(FileBlobs.Name(r.User.Id, taskId, r.FileId));

    private static async Task<JsonNode> StatsAsync(TestUser user) => (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;

    [Fact]
    public async Task An_upload_that_landed_in_time_is_completed_even_when_completion_runs_after_expiry()
    {
        // A host whose reconciliation never ticks, so that only the test completes the upload, after the expiry it sets.
        await using var host = HostOn(TimeProvider.System);
        var (user, taskId) = await TaskAsync(host.CreateClient());
        var reservation = await user.ReserveAsync(taskId, "doc", 100);
        await BlobOf(reservation, taskId).UploadAsync(new BinaryData(new byte[40]));
        await own!.Table("tasks").UpdateEntityAsync(
            new Azure.Data.Tables.TableEntity(taskId.ToString("D19", System.Globalization.CultureInfo.InvariantCulture), FileEntity.Row(reservation.FileId))
            {
                ["Expires"] = DateTimeOffset.UtcNow.AddSeconds(-30), // The event is processed half a minute after expiry.
            },
            ETag.All);

        var file = await host.Services.GetRequiredService<UploadCompletion>().HandleAsync(FileBlobs.Name(user.Id, taskId, reservation.FileId), CancellationToken.None);

        Assert.Equal("uploaded", file!.State);
        Assert.Equal(40, (await StoredBytes.OfAsync(own.ConnectionString, FileBlobs.Name(user.Id, taskId, reservation.FileId))).Accepted);
    }

    [Fact]
    public async Task The_sweep_completes_an_expired_reservation_whose_upload_landed_in_time_instead_of_deleting_it()
    {
        // Expires two minutes before storage's now: within the allowed skew of a blob written now.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromHours(1) - TimeSpan.FromMinutes(2));
        await using var host = HostOn(clock);
        var (user, taskId) = await TaskAsync(host.CreateClient());
        var reservation = await user.ReserveAsync(taskId, "doc", 100);
        await BlobOf(reservation, taskId).UploadAsync(new BinaryData(new byte[40]));

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        var counts = (await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None)).Counts;

        Assert.Equal(1, counts[Sweeper.Outcome.Completed]);
        Assert.Equal("uploaded", (await reservation.ReadFileAsync())["state"]!.GetValue<string>());
        Assert.Equal(40, (await StatsAsync(user))["total_size"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_multipart_upload_that_lands_after_expiry_is_269_and_keeps_nothing()
    {
        // This host's clock is three hours behind storage's: every blob it writes lands long after its reservations expire.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        await using var host = HostOn(clock);
        var (user, taskId) = await TaskAsync(host.CreateClient());
        var reservation = await user.ReserveAsync(taskId, "doc", 100);

        (await reservation.UploadAsync(new byte[40], "a.bin")).AssertError(269, HttpStatusCode.BadRequest);

        Assert.True((await StoredBytes.OfAsync(own!.ConnectionString, FileBlobs.Name(user.Id, taskId, reservation.FileId))).HoldsNothing);
        (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = reservation.FileId })).AssertError(201, HttpStatusCode.BadRequest); // Deleted as a late upload.
    }

    [Fact]
    public async Task A_late_multipart_upload_is_269_before_the_sweep_and_after_it()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        await using var host = HostOn(clock);
        var (user, taskId) = await TaskAsync(host.CreateClient());
        var reservation = await user.ReserveAsync(taskId, "doc", 100);
        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(2));

        (await reservation.UploadAsync(new byte[40], "a.bin")).AssertError(269, HttpStatusCode.BadRequest);
        await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);
        (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = reservation.FileId })).AssertError(201, HttpStatusCode.BadRequest);
        (await reservation.UploadAsync(new byte[40], "a.bin")).AssertError(269, HttpStatusCode.BadRequest);

        var forged = $"{reservation.FileId}.{clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds()}.{reservation.Token.Split('.')[2]}";
        (await user.Client.UploadAsync(forged, new MemoryStream(new byte[40]))).AssertError(4, HttpStatusCode.BadRequest);
    }

    public static TheoryData<string> BidiControls => new() { "\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069", "\u200F" };

    [Theory]
    [MemberData(nameof(BidiControls))]
    public async Task A_filename_with_a_bidirectional_control_is_7(string control)
    {
        var (user, taskId) = await TaskAsync();

        var response = (await user.CallAsync("task/form/file/create", new JsonObject
        {
            ["task_id"] = taskId, ["field_id"] = "doc", ["size"] = 10, ["filename"] = $"invoice{control}fdp.exe",
        })).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains("'filename'", response.Description, StringComparison.Ordinal);
        Assert.Equal(0, (await StatsAsync(user))["file_count"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_multipart_file_name_with_a_bidirectional_control_is_not_taken_as_the_name()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "doc", 100);

        var file = (await reservation.UploadAsync(new byte[10], "invoice\u202Efdp.exe")).AssertOk().Body["value"]!;

        Assert.Null(file["name"]);
    }

    [Fact]
    public async Task Text_that_starts_with_bm_is_not_a_bitmap_on_a_photo_field()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "photo", 100);

        var response = (await reservation.UploadAsync(Encoding.ASCII.GetBytes("BMW service booklet, page 1 of 12"), "scan.bmp")).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains("takes only images", response.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_real_bitmap_is_an_image_on_a_photo_field()
    {
        var (user, taskId) = await TaskAsync();
        var bitmap = Bitmap2x2();
        var reservation = await user.ReserveAsync(taskId, "photo", bitmap.Length);

        var file = (await reservation.UploadAsync(bitmap, "dot.bmp")).AssertOk().Body["value"]!;

        Assert.Equal("image/bmp", file["mime_type"]!.GetValue<string>());
    }

    /// <summary>A 2×2, 24-bit BITMAPINFOHEADER bitmap: 14 + 40 bytes of headers, two rows of 8 bytes (6 of pixels, 2 of padding).</summary>
    private static byte[] Bitmap2x2()
    {
        var bytes = new byte[70];
        "BM"u8.CopyTo(bytes);
        BitConverter.TryWriteBytes(bytes.AsSpan(2), 70);
        BitConverter.TryWriteBytes(bytes.AsSpan(10), 54);
        BitConverter.TryWriteBytes(bytes.AsSpan(14), 40);
        BitConverter.TryWriteBytes(bytes.AsSpan(18), 2);
        BitConverter.TryWriteBytes(bytes.AsSpan(22), 2);
        BitConverter.TryWriteBytes(bytes.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(bytes.AsSpan(28), (short)24);
        BitConverter.TryWriteBytes(bytes.AsSpan(34), 16);
        return bytes;
    }
}
