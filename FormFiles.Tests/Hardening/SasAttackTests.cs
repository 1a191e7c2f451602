using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using FormFiles.DevHost.Azurite;
using FormFiles.Files;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Hardening;

/// <summary>
/// A client that keeps the upload SAS and uses it as an attacker would, with the Azure SDK: what is served is
/// what was judged, and from acceptance (or rejection, or deletion) on the SAS can store no byte anywhere.
/// Every attack ends with a count of every byte stored under the file's names (<see cref="StoredBytes"/>),
/// held against the bound docs/api.md states.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class SasAttackTests(ServiceFixture service)
{
    private const int MiB = 1024 * 1024;
    private const string Html = "<html><script>alert(document.cookie)</script></html>";

    private static JsonArray Fields() =>
    [
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
        new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" },
    ];

    private async Task<(TestUser User, long TaskId)> TaskAsync(HttpClient? client = null)
    {
        var user = await (client ?? service.Client).NewUserAsync();
        return (user, await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields())));
    }

    private Task<StoredBytes> StoredAsync(Uploads.Reservation r, long taskId, string? connectionString = null) =>
        StoredBytes.OfAsync(connectionString ?? service.Azurite.ConnectionString, FileBlobs.Name(r.User.Id, taskId, r.FileId));

    /// <summary>Until the upload name is settled (emptied, its snapshots gone), which follows the state change by a few requests.</summary>
    private async Task SettledAsync(Uploads.Reservation r, long taskId) =>
        Assert.True(await Uploads.EventuallyAsync(async () => await StoredAsync(r, taskId) is { Base: 0, Snapshots: 0 }));

    /// <summary>The HTTP status storage answers an attack with (201/202 when it went through).</summary>
    private static async Task<int> StatusOf(Func<Task> attack)
    {
        try
        {
            await attack();
            return 201;
        }
        catch (RequestFailedException e)
        {
            return e.Status;
        }
    }

    private static async Task<byte[]> ServedAsync(JsonNode file)
    {
        using var http = new HttpClient();
        return await http.GetByteArrayAsync(file["download_url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Breaking_the_lease_and_writing_through_the_sas_just_before_completion_snapshots_is_refused_and_the_judged_bytes_are_served()
    {
        // The attack of issue 22, placed deterministically: just before completion's snapshot request, the SAS
        // breaks the lease and writes HTML over the JPEG that was uploaded.
        var storage = service.NewStorage();
        Uploads.Reservation? target = null;
        var attacks = new List<int>();
        var interjection = new Interjection(
            m => m.Request.Method == RequestMethod.Put && m.Request.Uri.Query.Contains("comp=snapshot", StringComparison.Ordinal),
            async () =>
            {
                var throughSas = new BlobClient(target!.SasUrl);
                attacks.Add(await StatusOf(() => throughSas.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero)));
                attacks.Add(await StatusOf(() => throughSas.UploadAsync(BinaryData.FromString(Html), overwrite: true)));
            });
        await using var host = new FormFilesFactory(storage.Settings, services =>
            services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(interjection, HttpPipelinePosition.PerCall))));
        var (user, taskId) = await TaskAsync(host.CreateClient());
        target = await user.ReserveAsync(taskId, "photo", 1000, "door.jpg");
        var jpeg = Uploads.JpegLike(1000);
        await new BlobClient(target.SasUrl).UploadAsync(new BinaryData(jpeg));
        interjection.Armed = true;

        await host.Services.GetRequiredService<UploadCompletion>().HandleAsync(FileBlobs.Name(user.Id, taskId, target.FileId), CancellationToken.None);

        Assert.True(interjection.Fired);
        Assert.Equal([403, 403], attacks);
        var file = await target.ReadFileAsync();
        Assert.Equal("uploaded", file["state"]!.GetValue<string>());
        Assert.Equal("image/jpeg", file["mime_type"]!.GetValue<string>());
        Assert.Equal(jpeg, await ServedAsync(file));
        Assert.Equal(new StoredBytes(0, 0, 0, 0, 1000), await StoredAsync(target, taskId, storage.ConnectionString));
    }

    [Fact]
    public async Task Bytes_that_change_under_the_upload_name_after_the_snapshot_are_neither_judged_nor_served()
    {
        // Whatever could still write the upload blob (here the account key itself, lease broken) once the snapshot is
        // taken: completion judges the snapshot, and what it accepts is a copy of that snapshot.
        var storage = service.NewStorage();
        string? name = null;
        var interjection = new Interjection(
            m => m.Request.Method == RequestMethod.Get && m.Request.Uri.Query.Contains("snapshot=", StringComparison.Ordinal),
            async () =>
            {
                var blob = storage.Container.GetBlobClient(name!);
                await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero);
                await blob.UploadAsync(BinaryData.FromString(Html), overwrite: true);
            });
        await using var host = new FormFilesFactory(storage.Settings, services =>
            services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(interjection, HttpPipelinePosition.PerCall))));
        var (user, taskId) = await TaskAsync(host.CreateClient());
        var reservation = await user.ReserveAsync(taskId, "photo", 1000, "door.jpg");
        name = FileBlobs.Name(user.Id, taskId, reservation.FileId);
        var jpeg = Uploads.JpegLike(1000);
        await new BlobClient(reservation.SasUrl).UploadAsync(new BinaryData(jpeg));
        interjection.Armed = true;

        await host.Services.GetRequiredService<UploadCompletion>().HandleAsync(name, CancellationToken.None);

        Assert.True(interjection.Fired);
        var file = await reservation.ReadFileAsync();
        Assert.Equal(["uploaded", "image/jpeg"], new[] { file["state"]!.GetValue<string>(), file["mime_type"]!.GetValue<string>() });
        Assert.Equal(jpeg, await ServedAsync(file));
        Assert.Equal(new StoredBytes(0, 0, 0, 0, 1000), await StoredAsync(reservation, taskId, storage.ConnectionString));
    }

    [Theory]
    [InlineData("multipart", false)]
    [InlineData("sas", false)]
    [InlineData("sas", true)]
    public async Task After_acceptance_the_sas_can_neither_write_stage_commit_lease_nor_store_a_byte_with_snapshots(string path, bool submitted)
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "photo", 1000, "door.jpg");
        var accepted = Uploads.JpegLike(600);
        if (path == "multipart")
            (await reservation.UploadAsync(accepted, "door.jpg")).AssertOk();
        else
        {
            await new BlobClient(reservation.SasUrl).UploadAsync(new BinaryData(accepted));
            Assert.Equal("uploaded", (await reservation.WaitForCompletionAsync())["state"]!.GetValue<string>());
        }

        await SettledAsync(reservation, taskId);
        if (submitted)
        {
            (await user.CallAsync("task/form/submit", new JsonObject
            {
                ["task_id"] = taskId, ["values"] = new JsonObject { ["photo"] = new JsonObject { ["type"] = "photo", ["file_ids"] = new JsonArray(reservation.FileId) } },
            })).AssertOk();
        }

        var blob = new BlobClient(reservation.SasUrl);
        var blocks = new BlockBlobClient(reservation.SasUrl);
        var ids = Enumerable.Range(0, 8).Select(i => Convert.ToBase64String(BitConverter.GetBytes(i))).ToList();
        var attacks = new Dictionary<string, int>
        {
            ["overwrite"] = await StatusOf(() => blob.UploadAsync(new BinaryData(new byte[5 * MiB]), overwrite: true)),
            ["stage"] = await StatusOf(() => blocks.StageBlockAsync(ids[0], new MemoryStream(new byte[4 * MiB]))),
            ["commit"] = await StatusOf(() => blocks.CommitBlockListAsync(ids)),
            ["lease"] = await StatusOf(() => blob.GetBlobLeaseClient().AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration)),
            ["break"] = await StatusOf(() => blob.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero)),
        };
        var snapshots = 0;
        for (var i = 0; i < 20; i++)
            snapshots += await StatusOf(() => blob.CreateSnapshotAsync()) == 201 ? 1 : 0;

        Assert.All(attacks, a => Assert.True(a.Value is 403 or 409 or 412, $"{a.Key}: {a.Value}"));
        var stored = await StoredAsync(reservation, taskId);
        Assert.True(stored is { Base: 0, Snapshots: 0, Uncommitted: 0, Accepted: 600 }, $"{stored}; {snapshots} snapshots made");
        var file = await reservation.ReadFileAsync();
        Assert.Equal(accepted, await ServedAsync(file));
        Assert.Equal(600, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["total_size"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("rejected")]
    [InlineData("deleted")]
    public async Task After_a_rejection_or_a_deletion_the_sas_cannot_store_a_byte_while_it_is_valid(string how)
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "photo", 1000, "door.jpg");
        if (how == "rejected")
        {
            await new BlobClient(reservation.SasUrl).UploadAsync(BinaryData.FromString(Html));
            Assert.Equal("rejected", (await reservation.WaitForCompletionAsync())["state"]!.GetValue<string>());
            await SettledAsync(reservation, taskId);
        }
        else
        {
            (await reservation.UploadAsync(Uploads.JpegLike(600), "door.jpg")).AssertOk();
            (await user.CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = reservation.FileId })).AssertOk();
        }

        var blob = new BlobClient(reservation.SasUrl);
        var again = await StatusOf(() => blob.UploadAsync(new BinaryData(new byte[5 * MiB])));
        var overwrite = await StatusOf(() => blob.UploadAsync(new BinaryData(new byte[5 * MiB]), overwrite: true));
        var stage = await StatusOf(() => new BlockBlobClient(reservation.SasUrl).StageBlockAsync(Convert.ToBase64String([1, 2, 3, 4]), new MemoryStream(new byte[4 * MiB])));

        Assert.All(new[] { again, overwrite, stage }, status => Assert.True(status is 403 or 409 or 412, status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(new StoredBytes(0, 0, 0, 0, 0), await StoredAsync(reservation, taskId));
        Assert.Equal(0, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["total_size"]!.GetValue<long>());
    }

    [Fact]
    public async Task Before_acceptance_the_sas_stores_one_blob_of_any_size_until_completion_judges_it()
    {
        // The bound before acceptance is in time: one Put Blob (its size is the client's), kept until completion.
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "photo", 1000, "door.jpg");
        await new BlobClient(reservation.SasUrl).UploadAsync(new BinaryData(new byte[3 * MiB]));

        Assert.Equal(3 * MiB, (await StoredAsync(reservation, taskId)).Total);
        var file = await reservation.WaitForCompletionAsync();

        Assert.Equal("rejected", file["state"]!.GetValue<string>());
        Assert.True(await Uploads.EventuallyAsync(async () => (await StoredAsync(reservation, taskId)).HoldsNothing));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_task_deleted_while_a_completion_of_its_file_runs_keeps_the_upload_name_and_answers_ok(bool uploaded)
    {
        // The deletion makes the file's tombstone; a completion of the name (the event of an upload, or of the tombstone's
        // own first write) finds no file row and runs between the tombstone's steps. The name must stay taken.
        var storage = service.NewStorage();
        FormFilesFactory? host = null;
        string? name = null;
        var leases = 0;
        var interjection = new Interjection(
            m => m.Request.Method == RequestMethod.Put && m.Request.Uri.Query.Contains("comp=lease", StringComparison.Ordinal) && ++leases == (uploaded ? 1 : 2),
            () => host!.Services.GetRequiredService<UploadCompletion>().HandleAsync(name!, CancellationToken.None));
        host = new FormFilesFactory(storage.Settings, services =>
            services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(interjection, HttpPipelinePosition.PerCall))));
        await using var owned = host;
        var (user, taskId) = await TaskAsync(host.CreateClient());
        var reservation = await user.ReserveAsync(taskId, "photo", 1000, "door.jpg");
        name = FileBlobs.Name(user.Id, taskId, reservation.FileId);
        if (uploaded)
            await new BlobClient(reservation.SasUrl).UploadAsync(BinaryData.FromString(Html));
        interjection.Armed = true;

        (await user.CallAsync("task/delete", new JsonObject { ["task_id"] = taskId })).AssertOk();

        Assert.True(interjection.Fired);
        var again = await StatusOf(() => new BlobClient(reservation.SasUrl).UploadAsync(new BinaryData(new byte[5 * MiB])));
        Assert.True(again is 403 or 409, again.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new StoredBytes(0, 0, 0, 0, 0), await StoredAsync(reservation, taskId, storage.ConnectionString));
        Assert.True(await storage.Container.GetBlobClient(name).ExistsAsync()); // The name is taken, by an empty blob.
    }

    [Fact]
    public async Task A_create_whose_quota_charge_lands_after_the_sweep_took_its_reservation_is_14_and_holds_no_quota()
    {
        // The charge (the create's last write) is held back while the reservation expires and another instance sweeps it.
        var storage = service.NewStorage();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var other = FormFilesFactory.OnClock(storage, clock);
        var stall = new Interjection(FaultInjection.BatchOn("users"), async () =>
        {
            clock.Advance(TimeSpan.FromHours(1) + FileBlobs.ClockSkew + TimeSpan.FromMinutes(2));
            await other.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);
        });
        await using var host = FormFilesFactory.OnClock(storage, clock, stall);
        var (user, taskId) = await TaskAsync(host.CreateClient());
        stall.Armed = true;

        var stalled = await user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = taskId, ["field_id"] = "photo", ["size"] = 1000 });

        Assert.True(stall.Fired);
        stalled.AssertError(14, HttpStatusCode.ServiceUnavailable);
        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.Equal(0, stats["file_count"]!.GetValue<long>());
        Assert.Equal(0, stats["total_size"]!.GetValue<long>());
    }

    [Fact]
    public async Task An_empty_upload_is_accepted_and_served()
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "doc", 10, "empty.txt");
        await new BlobClient(reservation.SasUrl).UploadAsync(new BinaryData([]));

        var file = await reservation.WaitForCompletionAsync();

        Assert.Equal("uploaded", file["state"]!.GetValue<string>());
        Assert.Empty(await ServedAsync(file));
        await SettledAsync(reservation, taskId);
        Assert.True((await StoredAsync(reservation, taskId)).HoldsNothing);
    }

    [Fact]
    public async Task A_completion_that_stops_before_the_snapshots_go_leaves_them_to_the_next_which_removes_them()
    {
        var storage = service.NewStorage();
        var fault = new FaultInjection(m => m.Request.Method == RequestMethod.Delete && m.Request.Headers.TryGetValue("x-ms-delete-snapshots", out var which) && which == "only");
        await using var host = new FormFilesFactory(storage.Settings, services =>
            services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(fault, HttpPipelinePosition.PerCall))));
        var (user, taskId) = await TaskAsync(host.CreateClient());
        var reservation = await user.ReserveAsync(taskId, "photo", 1000, "door.jpg");
        var blob = new BlobClient(reservation.SasUrl);
        await blob.UploadAsync(new BinaryData(Uploads.JpegLike(1000)));
        for (var i = 0; i < 3; i++)
            await blob.CreateSnapshotAsync(); // A client's own snapshots of its upload, before it is judged.
        var completion = host.Services.GetRequiredService<UploadCompletion>();
        var name = FileBlobs.Name(user.Id, taskId, reservation.FileId);

        await Assert.ThrowsAnyAsync<RequestFailedException>(() => completion.HandleAsync(name, CancellationToken.None));
        Assert.True(fault.Fired);
        Assert.Equal("uploaded", (await reservation.ReadFileAsync())["state"]!.GetValue<string>());
        await completion.HandleAsync(name, CancellationToken.None); // The next event, or the sweep.

        Assert.Equal(new StoredBytes(0, 0, 0, 0, 1000), await StoredAsync(reservation, taskId, storage.ConnectionString));
    }

    [Theory]
    [InlineData(1000, "uploaded")]
    [InlineData(3 * MiB, "rejected")]
    public async Task A_copy_through_the_sas_is_judged_as_an_upload_is(int size, string state)
    {
        // Create allows Copy Blob into the name too: its bytes come from elsewhere, and are judged all the same.
        var storage = service.NewStorage();
        await using var host = new FormFilesFactory(storage.Settings);
        var (user, taskId) = await TaskAsync(host.CreateClient());
        var reservation = await user.ReserveAsync(taskId, "photo", 1000, "door.jpg");
        var source = new BlobServiceClient(storage.ConnectionString).GetBlobContainerClient("attacker");
        await source.CreateIfNotExistsAsync();
        var bytes = Uploads.JpegLike(size);
        await source.GetBlobClient("big.jpg").UploadAsync(new BinaryData(bytes));
        var readable = source.GetBlobClient("big.jpg").GenerateSasUri(Azure.Storage.Sas.BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1));

        Assert.Equal(201, await StatusOf(() => new BlobClient(reservation.SasUrl).StartCopyFromUriAsync(readable)));
        var file = await reservation.WaitForCompletionAsync();

        Assert.Equal(state, file["state"]!.GetValue<string>());
        var bound = state == "uploaded" ? new StoredBytes(0, 0, 0, 0, 1000) : new StoredBytes(0, 0, 0, 0, 0);
        Assert.True(await Uploads.EventuallyAsync(async () => await StoredAsync(reservation, taskId, storage.ConnectionString) == bound)); // Cleared right after the state change.
        if (state == "uploaded")
            Assert.Equal(bytes, await ServedAsync(file));
    }

    [Fact]
    public async Task The_sweep_purges_blocks_left_uncommitted_under_an_expired_reservation()
    {
        // Blocks staged and never committed (as an interrupted multipart upload of the service leaves them, or a SAS
        // that could stage would): the sweep commits an empty list and deletes, so none outlives the reservation.
        var storage = service.NewStorage();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = FormFilesFactory.OnClock(storage, clock);
        var (user, taskId) = await TaskAsync(host.CreateClient());
        var reservation = await user.ReserveAsync(taskId, "doc", 4 * MiB);
        var blocks = storage.Container.GetBlockBlobClient(FileBlobs.Name(user.Id, taskId, reservation.FileId));
        for (var i = 0; i < 3; i++)
            await blocks.StageBlockAsync(Convert.ToBase64String(BitConverter.GetBytes(i)), new MemoryStream(new byte[MiB]));
        Assert.Equal(3 * MiB, (await StoredAsync(reservation, taskId, storage.ConnectionString)).Uncommitted);

        clock.Advance(TimeSpan.FromHours(1) + FileBlobs.ClockSkew + TimeSpan.FromMinutes(2));
        var pass = await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        var errors = string.Join(" | ", host.Services.GetFakeLogCollector().GetSnapshot().Where(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Select(l => l.Message + " " + l.Exception?.Message));
        Assert.True(new StoredBytes(0, 0, 0, 0, 0) == await StoredAsync(reservation, taskId, storage.ConnectionString), $"{string.Join(", ", pass.Counts.Select(c => $"{c.Key} {c.Value}"))}; {errors}");
        Assert.Empty(await storage.Container.GetBlobsAsync(BlobTraits.None, BlobStates.Snapshots, $"{user.Id}/", CancellationToken.None).ToListAsync());
    }

    [Theory]
    [InlineData(12 * MiB)]
    [InlineData(1)]
    public async Task The_sdks_and_curl_upload_through_the_sas_with_one_put_blob_as_they_do_by_default(int size)
    {
        var (user, taskId) = await TaskAsync();
        var content = new byte[size];
        new Random(size).NextBytes(content); // Fixed bytes: nothing random decides a run.
        var path = Path.Combine(Path.GetTempPath(), $"formfiles-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(path, content);
        try
        {
            var byDotnet = await user.ReserveAsync(taskId, "doc", size, "a.bin");
            await new BlobClient(byDotnet.SasUrl).UploadAsync(path);
            var byJavaScript = await user.ReserveAsync(taskId, "doc", size, "b.bin");
            Assert.Equal("201", await NodeAsync("upload-data.mjs", byJavaScript.SasUrl.AbsoluteUri, path));
            var byCurl = await user.ReserveAsync(taskId, "doc", size, "c.bin");
            Assert.Equal("201", await RunAsync("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "x-ms-blob-type: BlockBlob", "--data-binary", $"@{path}", byCurl.SasUrl.AbsoluteUri));

            foreach (var reservation in new[] { byDotnet, byJavaScript, byCurl })
            {
                var file = await reservation.WaitForCompletionAsync();
                Assert.Equal("uploaded", file["state"]!.GetValue<string>());
                Assert.Equal(content, await ServedAsync(file));
            }

            // A client that stages blocks (here uploadData below its block size) is refused: one Put Blob is the rule.
            var byBlocks = await user.ReserveAsync(taskId, "doc", size, "d.bin");
            if (size > 1)
                Assert.Equal("403", await NodeAsync("upload-data.mjs", byBlocks.SasUrl.AbsoluteUri, path, (4 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Runs a script of FormFiles.Tests/Clients with the repository's node_modules.</summary>
    private static async Task<string> NodeAsync(string script, params string[] arguments)
    {
        await NodeModules.PackageAsync(Path.Combine("@azure", "storage-blob"));
        return await RunAsync("node", [Path.Combine(NodeModules.Root, "FormFiles.Tests", "Clients", script), .. arguments]);
    }

    /// <summary>Runs a real client program and returns what it printed.</summary>
    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} exited with {process.ExitCode}: {await errors}");
        return (await output).Trim();
    }
}
