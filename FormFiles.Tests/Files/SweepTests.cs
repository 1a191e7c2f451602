using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FormFiles.Files;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Files;

/// <summary>
/// The sweep, on a clock the tests move (they never wait for a reservation to expire), each test on
/// storage of its own, so that a pass settles exactly the test's own items and nothing else settles them.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class SweepTests(ServiceFixture service)
{
    private readonly TestStorage storage = service.NewStorage();

    /// <summary>Past a reservation's expiry by storage's clock too: its upload SAS is dead, so nothing keeps its name.</summary>
    private static readonly TimeSpan PastExpiry = TimeSpan.FromHours(1) + FileBlobs.ClockSkew + TimeSpan.FromMinutes(2);

    private static JsonArray Fields() =>
    [
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
        new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" },
    ];

    [Fact]
    public async Task Withdrawing_an_announcement_leaves_another_change_s_announcement_of_the_file_in_the_same_minute()
    {
        // A submission announces a file it may drop, another change (a delete) announces it too in the same minute; the
        // submission withdraws its own before the delete commits, then the delete's finish never runs (a crash). The
        // delete's own row must still be there for the sweep to finish the file.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = HostOn(clock);
        var (user, tasks) = await UserWithTasksAsync(host.CreateClient(), 1);
        var reservation = await user.ReserveAsync(tasks[0], "photo", 2000, "p.jpg");
        (await reservation.UploadAsync(Uploads.JpegLike(2000), "p.jpg")).AssertOk();
        var tables = host.Services.GetRequiredService<FormFiles.Storage.Tables>();
        var removal = host.Services.GetRequiredService<FileRemoval>();
        var file = (await tables.FindFileAsync(reservation.FileId, CancellationToken.None))!;
        var submission = new Announcement(clock.GetUtcNow());
        var deletion = new Announcement(clock.GetUtcNow());

        await removal.AnnounceAsync([file], submission, CancellationToken.None);
        await removal.AnnounceAsync([file], deletion, CancellationToken.None);
        await removal.WithdrawAsync(file.TaskId, [file.Id], submission, CancellationToken.None);
        Assert.True(await removal.TryMarkDeletedAsync(file, FormFiles.Webhooks.EventTypes.FileDeleted, FormFiles.Webhooks.DeleteReasons.Api, CancellationToken.None));
        Assert.Equal(1, await RowsOfUserAsync("pending", user.Id));

        clock.Advance(Announcement.Grace + TimeSpan.FromMinutes(1));
        var pass = await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        Assert.Equal(1, pass.Counts[Sweeper.Outcome.Finished]);
        await AssertGoneAsync(host, user, clock, file.BlobName);
    }

    [Fact]
    public async Task A_sweep_while_a_deletion_runs_leaves_its_announcement_for_when_it_falls_due()
    {
        // The sweep runs between a deletion's announcement and its commit, and the deletion's finish never runs (a crash):
        // the announcement is not due yet, so the sweep leaves it, and finishes the file once it is.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = HostOn(clock);
        var (user, tasks) = await UserWithTasksAsync(host.CreateClient(), 1);
        var reservation = await user.ReserveAsync(tasks[0], "photo", 2000, "p.jpg");
        (await reservation.UploadAsync(Uploads.JpegLike(2000), "p.jpg")).AssertOk();
        var tables = host.Services.GetRequiredService<FormFiles.Storage.Tables>();
        var removal = host.Services.GetRequiredService<FileRemoval>();
        var sweeper = host.Services.GetRequiredService<Sweeper>();
        var file = (await tables.FindFileAsync(reservation.FileId, CancellationToken.None))!;
        var deletion = new Announcement(clock.GetUtcNow());

        await removal.AnnounceAsync([file], deletion, CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(2));
        await sweeper.RunAsync(CancellationToken.None);
        deletion.ThrowIfLate(clock);
        Assert.True(await removal.TryMarkDeletedAsync(file, FormFiles.Webhooks.EventTypes.FileDeleted, FormFiles.Webhooks.DeleteReasons.Api, CancellationToken.None));
        Assert.Equal(1, await RowsOfUserAsync("pending", user.Id));

        clock.Advance(Announcement.Grace);
        var pass = await sweeper.RunAsync(CancellationToken.None);

        Assert.Equal(1, pass.Counts[Sweeper.Outcome.Finished]);
        await AssertGoneAsync(host, user, clock, file.BlobName);
    }

    [Fact]
    public void A_deletion_commits_only_until_its_margin_before_the_minute_its_announcement_falls_due_in()
    {
        // Due at 12:15:30 falls in the index's 12:15 minute, which the sweep reads from 12:15:00 on.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 30, TimeSpan.Zero));
        var announcement = new Announcement(clock.GetUtcNow());

        clock.Advance(Announcement.Grace - Announcement.CommitMargin - TimeSpan.FromSeconds(30));
        announcement.ThrowIfLate(clock);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Throws<FormFiles.Storage.StorageContentionException>(() => announcement.ThrowIfLate(clock));
    }

    private FormFilesFactory HostOn(FakeTimeProvider clock, HttpPipelinePolicy? fault = null) => FormFilesFactory.OnClock(storage, clock, fault);

    private static async Task<(TestUser User, long[] Tasks)> UserWithTasksAsync(HttpClient client, int tasks)
    {
        var user = await client.NewUserAsync();
        var template = await user.CreateTemplateAsync(Fields());
        var ids = new long[tasks];
        for (var i = 0; i < tasks; i++)
            ids[i] = await user.CreateTaskAsync(template);
        return (user, ids);
    }

    private static async Task<JsonNode> StatsAsync(TestUser user) => (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;

    private BlobContainerClient Container => storage.Container;

    private TableClient Table(string name) => storage.Table(name);

    private async Task<int> RowsOfUserAsync(string table, long userId) =>
        (await Table(table).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"UserId eq {userId}")).ToListAsync()).Count;

    [Fact]
    public async Task A_rejected_upload_says_why_frees_its_slot_at_once_and_goes_with_the_sweep_at_its_expiry()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = HostOn(clock);
        var (user, tasks) = await UserWithTasksAsync(host.CreateClient(), 1);
        var reservations = new List<Uploads.Reservation>();
        for (var i = 0; i < 6; i++)
            reservations.Add(await user.ReserveAsync(tasks[0], "photo", 100, "p.jpg"));
        (await reservations[0].UploadAsync(System.Text.Encoding.UTF8.GetBytes("not a photo"), "p.jpg")).AssertError(7, HttpStatusCode.BadRequest);

        var rejected = await reservations[0].ReadFileAsync();
        Assert.Equal("rejected", rejected["state"]!.GetValue<string>());
        Assert.Contains("images", rejected["rejection"]!.GetValue<string>(), StringComparison.Ordinal);
        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = tasks[0] })).AssertOk();
        Assert.NotNull(form.Body["files"]!.AsArray().Single(f => f!["id"]!.GetValue<long>() == reservations[0].FileId)!["rejection"]);
        Assert.Null(form.Body["files"]!.AsArray().First(f => f!["id"]!.GetValue<long>() == reservations[1].FileId)!["rejection"]);
        await user.ReserveAsync(tasks[0], "photo", 100); // Its slot is free again.

        clock.Advance(PastExpiry);
        await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = reservations[0].FileId })).AssertError(201, HttpStatusCode.BadRequest);
        Assert.Empty((await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = tasks[0] })).AssertOk().Body["files"]!.AsArray());
    }

    [Fact]
    public async Task Expired_reservation_is_swept_and_an_upload_after_the_sweep_is_deleted_by_completion()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        await using var host = HostOn(clock);
        var (user, tasks) = await UserWithTasksAsync(host.CreateClient(), 1);
        var reservations = new List<Uploads.Reservation>();
        for (var i = 0; i < 6; i++)
            reservations.Add(await user.ReserveAsync(tasks[0], "photo", 1000));
        Assert.Equal(6000, (await StatsAsync(user))["total_size"]!.GetValue<long>());

        clock.Advance(PastExpiry);
        var counts = (await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None)).Counts;

        Assert.Equal(6, counts[Sweeper.Outcome.Expired]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"file_count":0,"total_size":0,"quota":1073741824}"""), await StatsAsync(user)));
        (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = reservations[0].FileId })).AssertError(201, HttpStatusCode.BadRequest);
        Assert.Equal(0, await RowsOfUserAsync("pending", user.Id));
        Assert.Equal(0, await RowsOfUserAsync("tasks", user.Id) - 1); // Only the task row is left.

        // A late upload lands anyway (as one with a SAS still valid would), and completion deletes it.
        await Container.GetBlobClient($"{user.Id}/{tasks[0]}/{reservations[0].FileId}").UploadAsync(new BinaryData(Uploads.JpegLike(100)));
        await host.Services.GetRequiredService<UploadCompletion>().HandleAsync($"{user.Id}/{tasks[0]}/{reservations[0].FileId}", CancellationToken.None);
        Assert.False((await Container.GetBlobClient($"{user.Id}/{tasks[0]}/{reservations[0].FileId}").ExistsAsync()).Value);
        for (var i = 0; i < 6; i++)
            await user.ReserveAsync(tasks[0], "photo", 10); // The field's six slots are free again.
    }

    [Fact]
    public async Task Two_sweepers_in_parallel_over_500_due_items_leave_every_item_correct_and_quota_exact()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        await using var first = HostOn(clock);
        await using var second = HostOn(clock);
        await using var onTime = FormFilesFactory.OnClock(storage, TimeProvider.System);
        var onTimeClient = onTime.CreateClient();
        var (user, tasks) = await UserWithTasksAsync(first.CreateClient(), 100);
        var due = new List<Uploads.Reservation>();
        var kept = new List<Uploads.Reservation>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async worker =>
        {
            for (var t = worker; t < tasks.Length; t += 4)
            {
                for (var i = 0; i < 5; i++)
                {
                    var r = await user.ReserveAsync(tasks[t], "doc", 100 + i);
                    lock (due)
                        due.Add(r);
                    if (i == 4)
                    {
                        // Landed after its reservation expired (this host's clock is three hours behind storage's): deleted, not completed.
                        await Container.GetBlobClient($"{user.Id}/{tasks[t]}/{r.FileId}").UploadAsync(new BinaryData(new byte[7]));
                    }
                }

                // Reserved and uploaded on the real clock, so in time; not due for this host's sweep.
                var uploaded = await (user with { Client = onTimeClient }).ReserveAsync(tasks[t], "photo", 50);
                (await uploaded.UploadAsync(Uploads.JpegLike(40), "p.jpg")).AssertOk();
                lock (kept)
                    kept.Add(uploaded);
            }
        }));
        Assert.Equal(500, due.Count);

        clock.Advance(PastExpiry);
        await Task.WhenAll(
            first.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None),
            second.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None));

        var stats = await StatsAsync(user);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""{"file_count":100,"total_size":4000,"quota":1073741824}"""), stats), stats.ToJsonString());
        Assert.Equal(0, await RowsOfUserAsync("pending", user.Id));
        Assert.Equal(100 + 100, await RowsOfUserAsync("tasks", user.Id)); // 100 task rows and the 100 uploaded files.
        Assert.Equal(100, (await Table("users").QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {user.Id.ToString("D19", CultureInfo.InvariantCulture)} and RowKey ge {"charge-"} and RowKey lt {"charge."}")).ToListAsync()).Count);
        var blobs = await Container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{user.Id}/", CancellationToken.None).ToListAsync();
        Assert.Equal(kept.Select(k => k.FileId).Order(), blobs.Select(b => long.Parse(b.Name.Split('/')[2], CultureInfo.InvariantCulture)).Order());
    }

    [Fact]
    public async Task A_pass_cancelled_halfway_then_run_again_ends_consistent()
    {
        // Cancelled as the 20th deletion is sent (not after some wall-clock time): what is in flight then may land or not.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        using var halfway = new CancellationTokenSource();
        var deletions = 0;
        var cancel = new Interjection(
            m => m.Request.Method == Azure.Core.RequestMethod.Post && m.Request.Uri.Path.EndsWith("/$batch", StringComparison.Ordinal) && Interlocked.Increment(ref deletions) == 20,
            () => halfway.CancelAsync());
        await using var host = HostOn(clock, cancel);
        var (user, tasks) = await UserWithTasksAsync(host.CreateClient(), 20);
        foreach (var task in tasks)
        {
            for (var i = 0; i < 5; i++)
                await user.ReserveAsync(task, "doc", 10);
        }

        clock.Advance(PastExpiry);
        var sweeper = host.Services.GetRequiredService<Sweeper>();
        cancel.Armed = true;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sweeper.RunAsync(halfway.Token));
        Assert.True(cancel.Fired);
        Assert.NotEqual(0, await RowsOfUserAsync("pending", user.Id));

        var pass = await sweeper.RunAsync(CancellationToken.None);

        var stats = await StatsAsync(user);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"file_count":0,"total_size":0,"quota":1073741824}"""), stats),
            $"{stats.ToJsonString()} after {string.Join(", ", pass.Counts.Select(c => $"{c.Key} {c.Value}"))}");
        Assert.Equal(0, await RowsOfUserAsync("pending", user.Id));
        Assert.Equal(20, await RowsOfUserAsync("tasks", user.Id));
    }

    [Fact]
    public async Task A_create_whose_commit_stalls_past_the_sweep_of_its_reservation_is_14_and_cannot_land_after_it()
    {
        // The create's task transaction is held back until its reservation expired and the sweep let the reservation
        // go: the sweep's conclusion binds (the task row moves on, so the held-back transaction fails), and the create is 14.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        FormFilesFactory? swept = null;
        var stall = new Interjection(FaultInjection.BatchOn("tasks"), async () =>
        {
            clock.Advance(PastExpiry);
            await swept!.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);
        });
        await using var host = HostOn(clock, stall);
        swept = host;
        var (user, tasks) = await UserWithTasksAsync(host.CreateClient(), 1);
        stall.Armed = true;

        var stalled = await user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = tasks[0], ["field_id"] = "photo", ["size"] = 1000 });

        Assert.True(stall.Fired);
        stalled.AssertError(14, HttpStatusCode.ServiceUnavailable);
        Assert.Empty((await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = tasks[0] })).AssertOk().Body["files"]!.AsArray());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"file_count":0,"total_size":0,"quota":1073741824}"""), await StatsAsync(user)));
        Assert.Equal(0, await RowsOfUserAsync("pending", user.Id));
        for (var i = 0; i < 6; i++)
            await user.ReserveAsync(tasks[0], "photo", 10); // Every slot of the field is free, and new ids are given.
    }

    [Fact]
    public async Task A_file_deleted_while_its_completion_settles_still_has_its_name_let_go_by_the_sweep()
    {
        // Completion's last step deletes the reservation's expiry row; a deletion committed just before must keep a
        // row of its own for the sweep to let the tombstone, the row and the name go once the SAS has expired.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        TestUser? owner = null;
        long fileId = 0;
        var interjection = new Interjection(
            m => m.Request.Method == RequestMethod.Delete && m.Request.Uri.Path.Contains("/pending(", StringComparison.Ordinal)
                 && m.Request.Uri.Path.Contains($"RowKey='{FormFiles.Storage.Tables.Key(fileId)}')", StringComparison.Ordinal),
            async () => (await owner!.CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = fileId })).AssertOk());
        await using var host = HostOn(clock, interjection);
        var (user, tasks) = await UserWithTasksAsync(host.CreateClient(), 1);
        owner = user;
        var reservation = await user.ReserveAsync(tasks[0], "doc", 100);
        fileId = reservation.FileId;
        Assert.Equal(HttpStatusCode.Created, (await reservation.PutAsync(new byte[40])).StatusCode);
        interjection.Armed = true;

        await host.Services.GetRequiredService<UploadCompletion>().HandleAsync(FileBlobs.Name(user.Id, tasks[0], fileId), CancellationToken.None);

        Assert.True(interjection.Fired);
        await AssertGoneAsync(host, user, clock, FileBlobs.Name(user.Id, tasks[0], fileId));
    }

    [Fact]
    public async Task A_form_delete_that_stops_after_its_first_transaction_still_ends_with_every_file_of_the_form_deleted()
    {
        // More files than one transaction takes: the task row commits with the first 98, and the rest fail to be marked.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var armed = false;
        var batches = 0;
        var fault = new FaultInjection(m => armed && m.Request.Method == RequestMethod.Post && m.Request.Uri.Path.EndsWith("/$batch", StringComparison.Ordinal)
                                            && Interlocked.Increment(ref batches) == 2);
        await using var host = HostOn(clock, fault);
        var user = await host.CreateClient().NewUserAsync();
        var fields = new JsonArray(Enumerable.Range(0, 17).Select(i => (JsonNode)new JsonObject { ["id"] = $"p{i}", ["label"] = "Photo", ["type"] = "photo" }).ToArray());
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(fields));
        var files = new List<Uploads.Reservation>();
        for (var i = 0; i < 17 * 6; i++)
            files.Add(await user.ReserveAsync(task, $"p{i % 17}", 10));
        armed = true;

        (await user.CallAsync("task/form/delete", new JsonObject { ["task_id"] = task })).AssertError(14, HttpStatusCode.ServiceUnavailable);
        Assert.True(fault.Fired);
        (await user.CallAsync("task/form/delete", new JsonObject { ["task_id"] = task })).AssertError(201, HttpStatusCode.BadRequest); // The form is gone.

        clock.Advance(Announcement.Grace + TimeSpan.FromMinutes(1));
        await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        foreach (var file in files)
            (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = file.FileId })).AssertError(201, HttpStatusCode.BadRequest);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"file_count":0,"total_size":0,"quota":1073741824}"""), await StatsAsync(user)));
    }

    [Theory]
    [InlineData("users")]
    [InlineData("tasks")]
    public async Task A_crash_between_admission_steps_holds_no_quota_and_no_slot_after_one_sweep(string failingTable)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        var fault = new FaultInjection(FaultInjection.BatchOn(failingTable));
        await using var host = HostOn(clock);
        var (user, tasks) = await UserWithTasksAsync(host.CreateClient(), 1);
        await using var crashing = HostOn(clock, fault);
        var onCrashing = user with { Client = crashing.CreateClient() };

        var failed = await onCrashing.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = tasks[0], ["field_id"] = "photo", ["size"] = 1000 });

        Assert.True(fault.Fired);
        Assert.False(failed.Success);
        Assert.Equal(1, await RowsOfUserAsync("pending", user.Id));
        clock.Advance(PastExpiry);
        await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"file_count":0,"total_size":0,"quota":1073741824}"""), await StatsAsync(user)));
        Assert.Equal(0, await RowsOfUserAsync("pending", user.Id));
        for (var i = 0; i < 6; i++)
            await user.ReserveAsync(tasks[0], "photo", 10);
    }

    [Fact]
    public async Task Deleting_a_task_or_form_gives_back_the_quota_and_bytes_of_its_files_and_their_names_after_expiry()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = HostOn(clock);
        var (user, tasks) = await UserWithTasksAsync(host.CreateClient(), 2);
        var first = await user.ReserveAsync(tasks[0], "doc", 10);
        (await first.UploadAsync(new byte[10])).AssertOk();
        var second = await user.ReserveAsync(tasks[1], "doc", 20);
        (await second.UploadAsync(new byte[20])).AssertOk();
        var third = await user.ReserveAsync(tasks[1], "photo", 30);

        (await user.CallAsync("task/delete", new JsonObject { ["task_id"] = tasks[0] })).AssertOk();
        (await user.CallAsync("task/form/delete", new JsonObject { ["task_id"] = tasks[1] })).AssertOk();

        await AssertGoneAsync(host, user, clock, FileBlobs.Name(user.Id, tasks[0], first.FileId), FileBlobs.Name(user.Id, tasks[1], second.FileId), FileBlobs.Name(user.Id, tasks[1], third.FileId));
    }

    /// <summary>
    /// The files' quota and bytes are gone at once, their upload names kept by empty tombstones while their SAS may
    /// be valid; one sweep past their expiry lets the names, rows and index rows go too.
    /// </summary>
    private async Task AssertGoneAsync(FormFilesFactory host, TestUser user, FakeTimeProvider clock, params string[] blobNames)
    {
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"file_count":0,"total_size":0,"quota":1073741824}"""), await StatsAsync(user)));
        foreach (var name in blobNames)
            Assert.True((await StoredBytes.OfAsync(storage.ConnectionString, name)).HoldsNothing, name);

        clock.Advance(PastExpiry);
        await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        Assert.Empty(await Container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.Snapshots, $"{user.Id}/", CancellationToken.None).ToListAsync());
        Assert.Equal(0, await RowsOfUserAsync("pending", user.Id));
        Assert.Equal(0, await RowsOfUserAsync("tasks", user.Id) - await TaskRowsOfUserAsync(user.Id));
    }

    private async Task<int> TaskRowsOfUserAsync(long userId) =>
        (await Table("tasks").QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"UserId eq {userId} and RowKey eq {"task"}")).ToListAsync()).Count;
}
