using System.Net;
using System.Text.Json.Nodes;
using FormFiles.Files;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Files;

[Collection(ServiceFixture.Collection)]
public sealed class AttachmentTests(ServiceFixture service)
{
    private static JsonArray Fields => [new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" }];

    [Fact]
    public async Task Reserve_upload_both_ways_attach_list_and_detach()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(); // No form: attachments need none.

        var bySas = await ReserveAsync(user, task, 400, "plan.bin");
        var byForm = await ReserveAsync(user, task, 300, "notes.txt");
        Assert.Equal(HttpStatusCode.Created, (await bySas.PutAsync(new byte[250])).StatusCode);
        (await byForm.UploadAsync(new byte[120], "notes.txt")).AssertOk();
        Assert.Equal("uploaded", (await bySas.WaitForCompletionAsync())["state"]!.GetValue<string>());

        var attached = (await user.CallAsync("task/file/attach", new JsonObject { ["task_id"] = task, ["file_ids"] = new JsonArray(bySas.FileId, byForm.FileId) })).AssertOk();
        Assert.All(attached.Body["list"]!.AsArray(), f => Assert.True(f!["bindings"]!["task"]!["attached"]!.GetValue<bool>()));
        var list = (await user.CallAsync("task/file/list", new JsonObject { ["task_id"] = task })).AssertOk().Body["list"]!.AsArray();
        Assert.Equal([bySas.FileId, byForm.FileId], list.Select(f => f!["id"]!.GetValue<long>()));
        Assert.All(list, f => Assert.NotNull(f!["download_url"]));
        Assert.Equal(370, (await StatsAsync(user))["total_size"]!.GetValue<long>());

        (await user.CallAsync("task/file/detach", new JsonObject { ["task_id"] = task, ["file_id"] = bySas.FileId })).AssertOk();
        Assert.Single((await user.CallAsync("task/file/list", new JsonObject { ["task_id"] = task })).AssertOk().Body["list"]!.AsArray());
        Assert.Equal(120, (await StatsAsync(user))["total_size"]!.GetValue<long>());
        (await user.CallAsync("task/file/detach", new JsonObject { ["task_id"] = task, ["file_id"] = bySas.FileId })).AssertError(201, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 10 })).AssertOk(); // A slot again.
    }

    [Fact]
    public async Task Create_checks_in_order_and_six_unattached_at_a_time_hold_under_parallel_requests()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync();

        (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = 999_999_999, ["size"] = 10 })).AssertError(201, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 16 * 1024 * 1024 + 1 })).AssertError(271, HttpStatusCode.RequestEntityTooLarge);
        (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 0 })).AssertError(7, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = "ten" })).AssertError(7, HttpStatusCode.BadRequest);

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 10 })));

        Assert.Equal(6, answers.Count(a => a.Success));
        Assert.All(answers.Where(a => !a.Success), a => a.AssertError(267, HttpStatusCode.BadRequest));
        Assert.Equal(60, (await StatsAsync(user))["total_size"]!.GetValue<long>());

        (await user.CallAsync("task/status/change", new JsonObject { ["task_id"] = task, ["status"] = "done" })).AssertOk();
        (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 10 })).AssertError(255, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Attach_refuses_files_that_are_not_uploaded_attachments_of_the_task_naming_them()
    {
        var user = await service.Client.NewUserAsync();
        var template = await user.CreateTemplateAsync(Fields);
        var task = await user.CreateTaskAsync(template);
        var other = await user.CreateTaskAsync(template);
        var reserved = await ReserveAsync(user, task, 10);
        var elsewhere = await ReserveAsync(user, other, 10);
        (await elsewhere.UploadAsync(new byte[5])).AssertOk();
        var fieldFile = await user.ReserveAsync(task, "photo", 100);

        foreach (var id in new[] { reserved.FileId, elsewhere.FileId, fieldFile.FileId, 1L })
        {
            var answer = (await user.CallAsync("task/file/attach", new JsonObject { ["task_id"] = task, ["file_ids"] = new JsonArray(id) })).AssertError(7, HttpStatusCode.BadRequest);
            Assert.Contains(id.ToString(System.Globalization.CultureInfo.InvariantCulture), answer.Description, StringComparison.Ordinal);
        }

        foreach (var bad in new JsonNode?[] { new JsonArray(), new JsonArray("x"), new JsonArray(-1), JsonValue.Create(5), new JsonArray(Enumerable.Range(1, 51).Select(i => (JsonNode)i).ToArray()) })
            (await user.CallAsync("task/file/attach", new JsonObject { ["task_id"] = task, ["file_ids"] = bad })).AssertError(7, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unattached_uploads_are_swept_after_the_ttl_attached_ones_stay_and_the_limit_of_attached_holds()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = HostOn(clock, ("FormFiles:MaxTaskAttachments", "2"));
        var user = await host.CreateClient().NewUserAsync();
        var task = await user.CreateTaskAsync();
        var files = new List<Uploads.Reservation>();
        for (var i = 0; i < 4; i++)
        {
            files.Add(await ReserveAsync(user, task, 100));
            (await files[i].UploadAsync(new byte[50])).AssertOk();
        }

        (await user.CallAsync("task/file/attach", new JsonObject { ["task_id"] = task, ["file_ids"] = new JsonArray(files[0].FileId, files[1].FileId) })).AssertOk();
        (await user.CallAsync("task/file/attach", new JsonObject { ["task_id"] = task, ["file_ids"] = new JsonArray(files[2].FileId) })).AssertError(267, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/file/attach", new JsonObject { ["task_id"] = task, ["file_ids"] = new JsonArray(files[0].FileId) })).AssertOk(); // Attached already: no change.

        clock.Advance(TimeSpan.FromHours(23));
        await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);
        Assert.Equal(4, (await StatsAsync(user))["file_count"]!.GetValue<long>());

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(2));
        await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        var stats = await StatsAsync(user);
        Assert.Equal(2, stats["file_count"]!.GetValue<long>());
        Assert.Equal(100, stats["total_size"]!.GetValue<long>());
        var list = (await user.CallAsync("task/file/list", new JsonObject { ["task_id"] = task })).AssertOk().Body["list"]!.AsArray();
        Assert.Equal([files[0].FileId, files[1].FileId], list.Select(f => f!["id"]!.GetValue<long>()));
        var slots = await Task.WhenAll(Enumerable.Range(0, 7).Select(_ => user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 1 })));
        Assert.Equal(6, slots.Count(a => a.Success)); // The swept ones gave their slots back.
    }

    [Fact]
    public async Task Forms_leave_attachments_alone_and_task_delete_takes_them()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields));
        var attachment = await ReserveAsync(user, task, 100);
        (await attachment.UploadAsync(new byte[40])).AssertOk();
        var loose = await ReserveAsync(user, task, 100);

        (await user.CallAsync("task/form/submit", new JsonObject { ["task_id"] = task, ["values"] = new JsonObject() })).AssertOk();
        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task })).AssertOk();
        Assert.Empty(form.Body["files"]!.AsArray());
        (await user.CallAsync("task/form/delete", new JsonObject { ["task_id"] = task })).AssertOk();
        Assert.Equal(2, (await user.CallAsync("task/file/list", new JsonObject { ["task_id"] = task })).AssertOk().Body["list"]!.AsArray().Count);
        Assert.Equal(140, (await StatsAsync(user))["total_size"]!.GetValue<long>());

        (await user.CallAsync("task/delete", new JsonObject { ["task_id"] = task })).AssertOk();
        Assert.Equal(0, (await StatsAsync(user))["file_count"]!.GetValue<long>());
        (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = loose.FileId })).AssertError(201, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Form_submission_and_form_deletion_keep_the_count_of_unattached_attachments()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields));
        for (var i = 0; i < 6; i++)
            await ReserveAsync(user, task, 10);

        (await user.CallAsync("task/form/submit", new JsonObject { ["task_id"] = task, ["values"] = new JsonObject() })).AssertOk();
        (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 10 })).AssertError(267, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/values/update", new JsonObject { ["task_id"] = task, ["values"] = new JsonObject() })).AssertOk();
        (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 10 })).AssertError(267, HttpStatusCode.BadRequest);
        (await user.CallAsync("task/form/delete", new JsonObject { ["task_id"] = task })).AssertOk();
        (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 10 })).AssertError(267, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_upload_whose_deadline_falls_in_its_reservation_minute_is_still_swept()
    {
        // The deadline counts from the upload's Last-Modified (storage's clock), the expiry from the reservation: both in
        // one minute only when the minute does not turn between them, so the test starts well inside a minute.
        while (DateTimeOffset.UtcNow.Second > 50)
            await Task.Delay(500);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = HostOn(clock, ("FormFiles:ReservationTtl", "01:00:00"), ("FormFiles:UnattachedTtl", "01:00:00"));
        var user = await host.CreateClient().NewUserAsync();
        var task = await user.CreateTaskAsync();
        var file = await ReserveAsync(user, task, 100);
        (await file.UploadAsync(new byte[50])).AssertOk(); // Uploaded in the reservation's minute: both rows are one.

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(2));
        await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        Assert.Equal(0, (await StatsAsync(user))["file_count"]!.GetValue<long>());
        Assert.Empty((await user.CallAsync("task/file/list", new JsonObject { ["task_id"] = task })).AssertOk().Body["list"]!.AsArray());
    }

    [Fact]
    public async Task An_attachment_completed_late_is_swept_an_unattached_ttl_after_its_bytes_landed()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = HostOn(clock, ("FormFiles:ReservationTtl", "01:00:00"), ("FormFiles:UnattachedTtl", "01:00:00"));
        var user = await host.CreateClient().NewUserAsync();
        var task = await user.CreateTaskAsync();
        var file = await ReserveAsync(user, task, 100);
        Assert.Equal(HttpStatusCode.Created, (await file.PutAsync(new byte[50])).StatusCode); // Landed now; no event comes.

        clock.Advance(TimeSpan.FromMinutes(50));
        await host.Services.GetRequiredService<Reconciliation>().RunAsync(CancellationToken.None); // Completed 50 minutes late.
        Assert.Equal("uploaded", (await file.ReadFileAsync())["state"]!.GetValue<string>());
        clock.Advance(TimeSpan.FromMinutes(12));
        var pass = await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        Assert.Equal(1, pass.Counts[Sweeper.Outcome.Expired]);
        Assert.Equal(0, (await StatsAsync(user))["file_count"]!.GetValue<long>());
    }

    [Fact]
    public async Task Parallel_attaches_and_detaches_keep_the_counters()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync();
        var files = new List<Uploads.Reservation>();
        for (var i = 0; i < 6; i++)
        {
            files.Add(await ReserveAsync(user, task, 10));
            (await files[i].UploadAsync(new byte[10])).AssertOk();
        }

        var answers = await Task.WhenAll(files.SelectMany(f => new[]
        {
            user.CallAsync("task/file/attach", new JsonObject { ["task_id"] = task, ["file_ids"] = new JsonArray(f.FileId) }),
            user.CallAsync("task/file/attach", new JsonObject { ["task_id"] = task, ["file_ids"] = new JsonArray(f.FileId) }),
        }));

        Assert.All(answers, a => a.AssertOk());
        await Task.WhenAll(files.Take(3).Select(f => user.CallAsync("task/file/detach", new JsonObject { ["task_id"] = task, ["file_id"] = f.FileId })));
        // Six more unattached slots are free: the attached ones gave theirs back, the detached ones are gone.
        var more = await Task.WhenAll(Enumerable.Range(0, 7).Select(_ => user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 1 })));
        Assert.Equal(6, more.Count(a => a.Success));
        Assert.Equal(3, (await user.CallAsync("task/file/list", new JsonObject { ["task_id"] = task })).AssertOk().Body["list"]!.AsArray().Count(f => f!["bindings"]!["task"]!["attached"]!.GetValue<bool>()));
    }

    /// <summary>A host on storage of its own and <paramref name="clock"/> (its loops never tick by themselves), with <paramref name="settings"/>.</summary>
    private FormFilesFactory HostOn(FakeTimeProvider clock, params (string Key, string? Value)[] settings) =>
        FormFilesFactory.OnClock(service.NewStorage(), clock, null, settings);

    private static async Task<Uploads.Reservation> ReserveAsync(TestUser user, long task, long size, string? filename = null)
    {
        var parameters = new JsonObject { ["task_id"] = task, ["size"] = size };
        if (filename is not null)
            parameters["filename"] = filename;
        var value = (await user.CallAsync("task/file/create", parameters)).AssertOk().Body["value"]!;
        return new Uploads.Reservation(value["file_id"]!.GetValue<long>(), value["fields"]!["token"]!.GetValue<string>(), new Uri(value["sas_url"]!.GetValue<string>()), user);
    }

    private static async Task<JsonNode> StatsAsync(TestUser user) => (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
}
