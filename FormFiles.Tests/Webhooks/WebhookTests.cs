using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FormFiles.Files;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Webhooks;

/// <summary>
/// Webhooks end to end: real changes, a real receiver on loopback, signatures checked with the StandardWebhooks
/// package. Each test on storage of its own, so that only its own hosts deliver its events.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class WebhookTests(ServiceFixture service) : IAsyncLifetime
{
    private readonly TestStorage storage = service.NewStorage();
    private FormFilesFactory host = null!;
    private WebhookReceiver receiver = null!;

    /// <summary>The settings of a host of the test's own: the fast retry schedule, private targets allowed.</summary>
    private Dictionary<string, string?> Settings() => new(ServiceFixture.FastWebhooks)
    {
        ["FormFiles:Storage:ConnectionString"] = storage.ConnectionString,
        ["FormFiles:AdminKey"] = Scenario.AdminKey,
        ["FormFiles:SweepInterval"] = "1.00:00:00",
        ["FormFiles:Webhooks:AllowPrivateTargets"] = "true",
    };

    public async Task InitializeAsync()
    {
        receiver = await WebhookReceiver.StartAsync();
        host = new FormFilesFactory(Settings());
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await receiver.DisposeAsync();
    }

    /// <summary>A host on the test's storage whose settings differ from <see cref="host"/>'s (which the test then leaves unstarted).</summary>
    private FormFilesFactory HostWith(Action<Dictionary<string, string?>> configure, Action<IServiceCollection>? services = null)
    {
        var settings = Settings();
        configure(settings);
        return new FormFilesFactory(settings, services);
    }

    private static JsonArray Fields(int photoFields = 1) =>
    [
        new JsonObject { ["id"] = "note", ["label"] = "Note", ["type"] = "text" },
        .. Enumerable.Range(0, photoFields).Select(i => (JsonNode)new JsonObject { ["id"] = i == 0 ? "photo" : $"photo{i}", ["label"] = "Photo", ["type"] = "photo" }),
    ];

    private async Task<(TestUser User, long TaskId)> UserAsync(int photoFields = 1)
    {
        var user = await host.CreateClient().NewUserAsync();
        return (user, await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields(photoFields))));
    }

    private static async Task<(long Id, string Secret)> SubscribeAsync(TestUser user, Uri url, params string[] events)
    {
        var created = (await user.CallAsync("webhook/create", new JsonObject
        {
            ["url"] = url.AbsoluteUri,
            ["events"] = new JsonArray((events.Length == 0 ? ["*"] : events).Select(e => (JsonNode)e!).ToArray()),
            ["description"] = "test receiver",
        })).AssertOk().Body;
        return (created["id"]!.GetValue<long>(), created["secret"]!.GetValue<string>());
    }

    private static async Task<long> UploadAsync(TestUser user, long taskId, byte[] content, string field = "photo", string name = "photo.jpg")
    {
        var reservation = await user.ReserveAsync(taskId, field, content.Length, name);
        await reservation.UploadAsync(content, name);
        return reservation.FileId;
    }

    [Fact]
    public async Task Each_event_type_arrives_once_signed_with_its_type_and_data()
    {
        var (user, taskId) = await UserAsync();
        var (_, secret) = await SubscribeAsync(user, receiver.Url);

        var uploaded = await UploadAsync(user, taskId, Uploads.JpegLike(600));
        var rejected = await UploadAsync(user, taskId, "plain text, not a photo"u8.ToArray(), name: "photo.txt");
        var deleted = (await user.ReserveAsync(taskId, "photo", 100)).FileId;
        (await user.CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = deleted })).AssertOk();
        var dropped = await UploadAsync(user, taskId, Uploads.JpegLike(700));
        var values = new JsonObject { ["note"] = new JsonObject { ["type"] = "text", ["value"] = "hello" }, ["photo"] = new JsonObject { ["type"] = "photo", ["file_ids"] = new JsonArray(uploaded) } };
        (await user.CallAsync("task/form/submit", new JsonObject { ["task_id"] = taskId, ["values"] = values.DeepClone() })).AssertOk();
        (await user.CallAsync("task/form/values/update", new JsonObject { ["task_id"] = taskId, ["values"] = values.DeepClone() })).AssertOk();
        var test = (await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = (await user.CallAsync("webhook/list")).AssertOk().Body["list"]![0]!["id"]!.GetValue<long>() }))
            .AssertOk().Body["event_id"]!.GetValue<string>();

        var all = await receiver.WaitForAsync(r => r.Count >= 8);
        await Task.Delay(300); // Nothing more may come.
        all = [.. receiver.Received];

        Assert.True(all.Count == 8, string.Join(", ", all.Select(d => d.Type + (d.Json["data"]?["reason"] is { } reason ? $" ({reason})" : ""))));
        Assert.Equal(8, all.Select(d => d.Id).Distinct().Count());
        Assert.All(all, d => Assert.True(d.VerifiesWith(secret), d.Body));
        Assert.All(all, d => Assert.Equal("application/json", d.ContentType));
        Assert.All(all.Where(d => d.Type != "webhook.test"), d => Assert.Equal(user.Id, d.Json["data"]!["user_id"]!.GetValue<long>()));
        Assert.All(all.Where(d => d.Type != "webhook.test"), d => Assert.Equal(taskId, d.Json["data"]!["task_id"]!.GetValue<long>()));
        JsonObject Data(string type, long? fileId = null, string? reason = null) => all
            .Single(d => d.Type == type && (fileId is null || d.Json["data"]!["id"]!.GetValue<long>() == fileId) && (reason is null || d.Json["data"]!["reason"]?.GetValue<string>() == reason))
            .Json["data"]!.AsObject();
        Assert.Equal(2, all.Count(d => d.Type == "file.uploaded"));
        Assert.Equal("uploaded", Data("file.uploaded", uploaded)["state"]!.GetValue<string>());
        Assert.Null(Data("file.uploaded", uploaded)["download_url"]);
        Assert.False(string.IsNullOrEmpty(Data("file.rejected", rejected)["reason"]!.GetValue<string>()));
        Assert.Equal("deleted", Data("file.deleted", deleted, "api")["state"]!.GetValue<string>());
        Data("file.deleted", dropped, "submission");
        var submissions = all.Where(d => d.Type == "form.submitted").Select(d => d.Json["data"]!).ToList();
        Assert.Equal([true, false], submissions.Select(s => s["first"]!.GetValue<bool>()).Order().Reverse());
        Assert.All(submissions, s => Assert.Equal([uploaded], s["file_ids"]!.AsArray().Select(i => i!.GetValue<long>())));
        Assert.All(submissions, s => Assert.Equal("hello", s["values"]!["note"]!["value"]!.GetValue<string>()));
        Assert.Equal(test, all.Single(d => d.Type == "webhook.test").Id);
    }

    [Fact]
    public async Task Deliveries_go_after_their_retention_and_with_their_endpoint()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var own = service.NewStorage();
        await using var clocked = FormFilesFactory.OnClock(own, clock);
        var user = await clocked.CreateClient().NewUserAsync();
        var (kept, _) = await SubscribeAsync(user, receiver.Url, "webhook.test");
        var (deleted, _) = await SubscribeAsync(user, receiver.Url, "webhook.test");
        var events = new List<string>();
        foreach (var webhook in new[] { kept, kept, kept, deleted, deleted })
            events.Add((await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhook })).AssertOk().Body["event_id"]!.GetValue<string>());
        (await user.CallAsync("webhook/delivery/retry", new JsonObject { ["webhook_id"] = kept, ["event_id"] = events[0] })).AssertOk(); // Found by its event id.

        var retention = clocked.Services.GetRequiredService<FormFiles.Webhooks.DeliveryRetention>();
        (await user.CallAsync("webhook/delete", new JsonObject { ["webhook_id"] = deleted })).AssertOk();
        await retention.PurgeAsync(CancellationToken.None);
        var rows = new Azure.Data.Tables.TableClient(own.ConnectionString, "deliveries");
        Assert.Empty(await rows.QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == deleted.ToString("D19")).ToListAsync()); // With its endpoint, e- rows too.
        Assert.Equal(3, (await user.CallAsync("webhook/delivery/list", new JsonObject { ["webhook_id"] = kept })).AssertOk().Body["list"]!.AsArray().Count);

        clock.Advance(TimeSpan.FromDays(31)); // Past FormFiles:Webhooks:Retention (30 days), and the purge's hour.
        await retention.PurgeAsync(CancellationToken.None);
        Assert.Empty((await user.CallAsync("webhook/delivery/list", new JsonObject { ["webhook_id"] = kept })).AssertOk().Body["list"]!.AsArray());
        Assert.Empty(await rows.QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == kept.ToString("D19")).ToListAsync());
        Assert.Empty(await new Azure.Data.Tables.TableClient(own.ConnectionString, "deliveryexpiry").QueryAsync<Azure.Data.Tables.TableEntity>().ToListAsync());
        (await user.CallAsync("webhook/delivery/retry", new JsonObject { ["webhook_id"] = kept, ["event_id"] = events[0] })).AssertError(201, System.Net.HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Detached_and_never_attached_attachments_send_file_deleted_with_their_reasons()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var clocked = FormFilesFactory.OnClock(storage, clock);
        var user = await clocked.CreateClient().NewUserAsync();
        var taskId = await user.CreateTaskAsync();
        await SubscribeAsync(user, receiver.Url, "file.deleted");
        var ids = new List<long>();
        for (var i = 0; i < 2; i++)
        {
            var value = (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = taskId, ["size"] = 10 })).AssertOk().Body["value"]!;
            var reservation = new Uploads.Reservation(value["file_id"]!.GetValue<long>(), value["fields"]!["token"]!.GetValue<string>(), new Uri(value["sas_url"]!.GetValue<string>()), user);
            (await reservation.UploadAsync(new byte[5])).AssertOk();
            ids.Add(reservation.FileId);
        }

        (await user.CallAsync("task/file/detach", new JsonObject { ["task_id"] = taskId, ["file_id"] = ids[0] })).AssertOk();
        clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(2));
        await clocked.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        // The sweep's event is due a day ahead of the real clock: only this host's runner, on its clock, sees it due.
        var deliveries = clocked.Services.GetRequiredService<FormFiles.Webhooks.WebhookDeliveries>();
        for (var i = 0; i < 50 && receiver.Received.Select(d => d.Id).Distinct().Count() < 2; i++)
        {
            await deliveries.RunDueAsync(CancellationToken.None);
            await Task.Delay(100);
        }

        var deleted = (await receiver.WaitForAsync(r => r.Select(d => d.Id).Distinct().Count() >= 2)).DistinctBy(d => d.Id).ToList();
        Assert.True(deleted.Count == 2, string.Join(", ", deleted.Select(d => $"{d.Id} {d.Json["data"]!["id"]} {d.Json["data"]!["reason"]}")));
        Assert.Equal("detached", deleted.Single(d => d.Json["data"]!["id"]!.GetValue<long>() == ids[0]).Json["data"]!["reason"]!.GetValue<string>());
        Assert.Equal("unattached", deleted.Single(d => d.Json["data"]!["id"]!.GetValue<long>() == ids[1]).Json["data"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_reservation_swept_without_an_upload_sends_file_expired()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        await using var clocked = FormFilesFactory.OnClock(storage, clock);
        var user = await clocked.CreateClient().NewUserAsync();
        var taskId = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields()));
        await SubscribeAsync(user, receiver.Url, "file.expired");
        var reservation = await user.ReserveAsync(taskId, "photo", 100);

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(10));
        await clocked.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        await receiver.WaitForAsync(r => r.Count >= 1);
        await Task.Delay(500); // Nothing more may come: only this host delivers on its storage.
        var expired = Assert.Single(receiver.Received);
        Assert.Equal("file.expired", expired.Type);
        Assert.Equal(reservation.FileId, expired.Json["data"]!["id"]!.GetValue<long>());
        Assert.Equal("deleted", expired.Json["data"]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_receiver_that_fails_twice_gets_the_event_on_the_third_attempt_with_one_id()
    {
        var (user, _) = await UserAsync();
        var (webhookId, _) = await SubscribeAsync(user, receiver.Url);
        receiver.Respond = (_, attempt) => attempt <= 2 ? 500 : 200;

        var eventId = (await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhookId })).AssertOk().Body["event_id"]!.GetValue<string>();

        var attempts = await receiver.WaitForAsync(r => r.Count >= 3);
        Assert.Equal([500, 500, 200], attempts.Select(a => a.Status));
        Assert.All(attempts, a => Assert.Equal(eventId, a.Id));
        var delivery = await EventuallyDeliveredAsync(user, webhookId);
        Assert.Equal(3, delivery["attempts"]!.GetValue<int>());
        Assert.Equal(200, delivery["last_status_code"]!.GetValue<int>());
    }

    private static async Task<JsonNode> EventuallyDeliveredAsync(TestUser user, long webhookId)
    {
        JsonNode? delivery = null;
        await Uploads.EventuallyAsync(async () =>
        {
            delivery = (await user.CallAsync("webhook/delivery/list", new JsonObject { ["webhook_id"] = webhookId })).AssertOk().Body["list"]![0];
            return delivery!["status"]!.GetValue<string>() == "delivered";
        });
        Assert.Equal("delivered", delivery!["status"]!.GetValue<string>());
        return delivery;
    }

    [Fact]
    public async Task Events_while_the_receiver_is_down_all_arrive_on_their_own_once_it_is_up_across_a_host_restart()
    {
        // A schedule (2 s, 2 s, 4 s) that outlasts the receiver's downtime.
        static void Slower(Dictionary<string, string?> settings)
        {
            settings["FormFiles:Webhooks:RetrySchedule:1"] = "00:00:02";
            settings["FormFiles:Webhooks:RetrySchedule:2"] = "00:00:02";
            settings["FormFiles:Webhooks:RetrySchedule:3"] = "00:00:04";
        }

        var before = HostWith(Slower);
        var user = await before.CreateClient().NewUserAsync();
        var taskId = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields()));
        var (webhookId, _) = await SubscribeAsync(user, receiver.Url);
        receiver.Down = true;
        var expected = new List<string>();
        for (var i = 0; i < 3; i++)
            expected.Add((await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhookId })).AssertOk().Body["event_id"]!.GetValue<string>());
        await UploadAsync(user, taskId, Uploads.JpegLike(600));
        await Task.Delay(500);

        await before.DisposeAsync(); // The host goes with deliveries pending; a new one comes up on the same storage.
        await using var after = HostWith(Slower);
        after.StartServer();
        receiver.Down = false;

        var arrived = await receiver.WaitForAsync(r => r.Select(d => d.Id).Distinct().Count() >= 4);
        Assert.Equal(4, arrived.Select(d => d.Id).Distinct().Count());
        Assert.Subset(arrived.Select(d => d.Id).ToHashSet(), expected.ToHashSet());
        Assert.Contains(arrived, d => d.Type == "file.uploaded");
    }

    [Fact]
    public async Task A_retry_asked_for_goes_out_now_even_when_the_next_attempt_is_hours_away()
    {
        await using var slow = HostWith(settings =>
        {
            settings["FormFiles:Webhooks:RetrySchedule:1"] = "01:00:00";
            settings.Remove("FormFiles:Webhooks:RetrySchedule:2");
            settings.Remove("FormFiles:Webhooks:RetrySchedule:3");
        });
        var user = await slow.CreateClient().NewUserAsync();
        var (webhookId, _) = await SubscribeAsync(user, receiver.Url);
        receiver.Respond = (_, attempt) => attempt == 1 ? 500 : 200;
        var eventId = (await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhookId })).AssertOk().Body["event_id"]!.GetValue<string>();
        await receiver.WaitForAsync(r => r.Count >= 1);
        await Task.Delay(300);

        (await user.CallAsync("webhook/delivery/retry", new JsonObject { ["webhook_id"] = webhookId, ["event_id"] = eventId })).AssertOk();

        var attempts = await receiver.WaitForAsync(r => r.Count >= 2);
        Assert.Equal([500, 200], attempts.Select(a => a.Status));
        Assert.Equal(2, (await EventuallyDeliveredAsync(user, webhookId))["attempts"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_410_disables_the_endpoint_with_its_reason()
    {
        var (user, _) = await UserAsync();
        var (webhookId, _) = await SubscribeAsync(user, receiver.Url);
        receiver.Respond = (_, _) => 410;

        (await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhookId })).AssertOk();

        await receiver.WaitForAsync(r => r.Count >= 1);
        JsonNode? endpoint = null;
        await Uploads.EventuallyAsync(async () =>
        {
            endpoint = (await user.CallAsync("webhook/read", new JsonObject { ["webhook_id"] = webhookId })).AssertOk().Body["value"];
            return !endpoint!["enabled"]!.GetValue<bool>();
        });
        Assert.False(endpoint!["enabled"]!.GetValue<bool>());
        Assert.Contains("410", endpoint["disabled_reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task An_endpoint_that_fails_everything_for_disable_after_is_disabled()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var clocked = HostWith(settings => settings["FormFiles:Webhooks:DisableAfter"] = "00:01:00", services => services.AddSingleton<TimeProvider>(clock));
        var user = await clocked.CreateClient().NewUserAsync();
        var (webhookId, _) = await SubscribeAsync(user, receiver.Url);
        receiver.Respond = (_, _) => 503;

        (await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhookId })).AssertOk();
        await receiver.WaitForAsync(r => r.Count >= 1);
        await Task.Delay(300);
        Assert.True((await user.CallAsync("webhook/read", new JsonObject { ["webhook_id"] = webhookId })).AssertOk().Body["value"]!["enabled"]!.GetValue<bool>());
        clock.Advance(TimeSpan.FromMinutes(2));
        await receiver.WaitForAsync(r => r.Count >= 2);

        JsonNode? endpoint = null;
        await Uploads.EventuallyAsync(async () =>
        {
            endpoint = (await user.CallAsync("webhook/read", new JsonObject { ["webhook_id"] = webhookId })).AssertOk().Body["value"];
            return !endpoint!["enabled"]!.GetValue<bool>();
        });
        Assert.False(endpoint!["enabled"]!.GetValue<bool>());
        Assert.Contains("every attempt failed", endpoint["disabled_reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_rotation_both_secrets_sign_and_both_signatures_verify()
    {
        var (user, _) = await UserAsync();
        var (webhookId, oldSecret) = await SubscribeAsync(user, receiver.Url);

        var newSecret = (await user.CallAsync("webhook/secret/rotate", new JsonObject { ["webhook_id"] = webhookId })).AssertOk().Body["secret"]!.GetValue<string>();
        (await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhookId })).AssertOk();

        var delivery = Assert.Single(await receiver.WaitForAsync(r => r.Count >= 1));
        Assert.Equal(2, delivery.Signature.Split(' ').Length);
        Assert.StartsWith("whsec_", newSecret, StringComparison.Ordinal);
        Assert.NotEqual(oldSecret, newSecret);
        Assert.True(delivery.VerifiesWith(newSecret, 0));
        Assert.True(delivery.VerifiesWith(oldSecret, 1));
        Assert.False(delivery.VerifiesWith(oldSecret, 0));
    }

    [Fact]
    public async Task A_target_on_a_private_address_is_refused_without_a_connection()
    {
        await using var strict = HostWith(settings => settings["FormFiles:Webhooks:AllowPrivateTargets"] = "false");
        var user = await strict.CreateClient().NewUserAsync();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = listener.AcceptTcpClientAsync();

        (await user.CallAsync("webhook/create", new JsonObject { ["url"] = $"http://127.0.0.1:{port}/hook", ["events"] = new JsonArray("*") })).AssertError(7, HttpStatusCode.BadRequest);
        var (webhookId, _) = await SubscribeAsync(user, new Uri($"https://127.0.0.1:{port}/hook"));
        (await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhookId })).AssertOk();

        JsonNode? delivery = null;
        await Uploads.EventuallyAsync(async () =>
        {
            delivery = (await user.CallAsync("webhook/delivery/list", new JsonObject { ["webhook_id"] = webhookId })).AssertOk().Body["list"]![0];
            return delivery!["attempts"]!.GetValue<int>() >= 2;
        });
        Assert.Contains("private address", delivery!["last_error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(accepted.IsCompleted, "the refused target was connected to");
    }

    [Fact]
    public async Task Fifty_parallel_uploads_on_one_task_give_fifty_file_uploaded_events()
    {
        var (user, taskId) = await UserAsync(photoFields: 9);
        await SubscribeAsync(user, receiver.Url, "file.uploaded");
        var reservations = new List<Uploads.Reservation>();
        for (var i = 0; i < 50; i++)
            reservations.Add(await user.ReserveAsync(taskId, i / 6 == 0 ? "photo" : $"photo{i / 6}", 1000, "p.jpg"));

        var answers = await Task.WhenAll(reservations.Select(r => r.UploadAsync(Uploads.JpegLike(500), "p.jpg")));

        Assert.All(answers, a => a.AssertOk());
        var events = await receiver.WaitForAsync(r => r.Count >= 50);
        await Task.Delay(300);
        events = [.. receiver.Received];
        Assert.Equal(50, events.Count);
        Assert.Equal(50, events.Select(e => e.Id).Distinct().Count());
        Assert.Equal(reservations.Select(r => r.FileId).Order(), events.Select(e => e.Json["data"]!["id"]!.GetValue<long>()).Order());
    }

    [Fact]
    public async Task Endpoints_that_never_answer_do_not_hold_up_a_fast_one()
    {
        // Twenty endpoints (two users' worth) that accept and never answer: two attempts in flight each would be 40.
        var (user, _) = await UserAsync();
        var (neighbour, _) = await UserAsync();
        var (another, _) = await UserAsync();
        var silent = Enumerable.Range(0, 20).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        silent.ForEach(l => l.Start(100));
        try
        {
            for (var n = 0; n < silent.Count; n++)
            {
                var owner = n < 10 ? neighbour : another;
                var (id, _) = await SubscribeAsync(owner, new Uri($"http://127.0.0.1:{((IPEndPoint)silent[n].LocalEndpoint).Port}/hook"));
                for (var i = 0; i < 8; i++) // A backlog that takes a worker 16 s of timeouts to go through.
                    (await owner.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = id })).AssertOk();
            }

            await Task.Delay(300); // Every silent endpoint has its attempts in flight.

            var (fast, _) = await SubscribeAsync(user, receiver.Url);
            for (var i = 0; i < 20; i++)
                (await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = fast })).AssertOk();

            var arrived = await receiver.WaitForAsync(r => r.Count >= 20);
            Assert.Equal(20, arrived.Select(d => d.Id).Distinct().Count());
            // Not behind them: when the fast endpoint has everything, the silent ones still wait for attempts (whatever the machine's speed).
            var silentPending = 0;
            foreach (var owner in new[] { neighbour, another })
            {
                foreach (var endpoint in (await owner.CallAsync("webhook/list")).AssertOk().Body["list"]!.AsArray())
                {
                    var deliveries = (await owner.CallAsync("webhook/delivery/list", new JsonObject { ["webhook_id"] = endpoint!["id"]!.GetValue<long>() })).AssertOk().Body["list"]!.AsArray();
                    silentPending += deliveries.Count(d => d!["status"]!.GetValue<string>() == "pending");
                }
            }

            Assert.True(silentPending > 0, "the silent endpoints had gone through every attempt before the fast one got its events");
        }
        finally
        {
            silent.ForEach(l => l.Stop());
        }
    }

    [Fact]
    public async Task Lost_storage_responses_neither_lose_nor_duplicate_events()
    {
        var lost = new LostResponses(0.1);
        await using var faulty = new FormFilesFactory(Settings(), services =>
            services.AddAzureClients(clients => clients.ConfigureDefaults(o =>
            {
                o.Retry.Delay = TimeSpan.FromMilliseconds(50);
                o.AddPolicy(lost, Azure.Core.HttpPipelinePosition.PerRetry);
            })));
        var (user, taskId) = await UserAsync(photoFields: 4);
        await SubscribeAsync(user, receiver.Url, "file.uploaded", "form.submitted");
        var onFaulty = user with { Client = faulty.CreateClient() };
        lost.Enabled = true;
        var files = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            try
            {
                var reservation = await onFaulty.ReserveAsync(taskId, i / 6 == 0 ? "photo" : $"photo{i / 6}", 1000, "p.jpg");
                files.Add(reservation.FileId);
                await reservation.UploadAsync(Uploads.JpegLike(500), "p.jpg");
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException || e.Message.Contains("\"code\":14", StringComparison.Ordinal))
            {
                // An answer of 14 (or a broken connection): the service may have done it or not; what counts is what it says after.
            }
        }

        var submitted = await onFaulty.CallAsync("task/form/submit", new JsonObject
        {
            ["task_id"] = taskId, ["values"] = new JsonObject { ["photo"] = new JsonObject { ["type"] = "photo", ["file_ids"] = new JsonArray() } },
        });
        lost.Enabled = false;

        var uploaded = new List<long>();
        foreach (var id in files)
        {
            if ((await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = id })).Body["value"]?["state"]?.GetValue<string>() == "uploaded")
                uploaded.Add(id);
        }

        var events = await receiver.WaitForAsync(r => r.Count(d => d.Type == "file.uploaded") >= uploaded.Count && (!submitted.Success || r.Any(d => d.Type == "form.submitted")));
        await Task.Delay(500);
        events = [.. receiver.Received];
        Assert.True(lost.Lost > 0, "no storage response was lost");
        var perFile = events.Where(d => d.Type == "file.uploaded").GroupBy(d => d.Json["data"]!["id"]!.GetValue<long>()).ToDictionary(g => g.Key, g => g.Select(d => d.Id).Distinct().Count());
        Assert.Equal(uploaded.Order(), perFile.Keys.Where(uploaded.Contains).Order());
        Assert.All(perFile, f => Assert.Equal(1, f.Value));
        var submissions = events.Where(d => d.Type == "form.submitted").Select(d => d.Id).Distinct().ToList();
        Assert.True(submissions.Count <= 1, $"one submission, {submissions.Count} events: {string.Join(", ", submissions)}; answered {submitted.Raw}");
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.20.0.1", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("168.63.129.16", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("64:ff9b::a00:1", true)]
    [InlineData("2002:a00:1::", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2606:4700:4700::1111", false)]
    [InlineData("64:ff9b::808:808", false)]
    public void Private_addresses_in_every_spelling_are_refused(string address, bool refused) =>
        Assert.Equal(refused, FormFiles.Webhooks.TargetGuard.IsPrivate(IPAddress.Parse(address)));

    [Theory]
    [InlineData("""{"url": "ftp://example.com/hook", "events": ["*"]}""", "'url' must be an absolute https URL")]
    [InlineData("""{"url": "https://user:pass@example.com/hook", "events": ["*"]}""", "'url' must not hold credentials")]
    [InlineData("""{"url": "hook", "events": ["*"]}""", "'url' must be an absolute https URL")]
    [InlineData("""{"url": "https://example.com/hook", "events": []}""", "'events' must name at least one event type")]
    [InlineData("""{"url": "https://example.com/hook", "events": ["file.eaten"]}""", "'events' may hold only")]
    [InlineData("""{"url": "https://example.com/hook", "events": ["*", "file.uploaded"]}""", "'events' must be \"*\" alone")]
    [InlineData("""{"url": "https://example.com/hook", "events": [1]}""", "'events' may hold only")]
    [InlineData("""{"url": "https://example.com/hook", "events": "*"}""", "'events' must be a JSON array")]
    [InlineData("""{"events": ["*"]}""", "'url' is required")]
    public async Task Bad_urls_and_event_lists_are_7_and_create_nothing(string parameters, string problem)
    {
        var (user, _) = await UserAsync();

        var answer = (await user.CallAsync("webhook/create", JsonNode.Parse(parameters)!.AsObject())).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains(problem, answer.Description, StringComparison.Ordinal);
        Assert.Empty((await user.CallAsync("webhook/list")).AssertOk().Body["list"]!.AsArray());
    }

    [Fact]
    public async Task A_url_of_more_than_2048_characters_is_7() =>
        (await (await UserAsync()).User.CallAsync("webhook/create", new JsonObject { ["url"] = "https://example.com/" + new string('a', 2030), ["events"] = new JsonArray("*") }))
            .AssertError(7, HttpStatusCode.BadRequest);

    [Theory]
    [InlineData("webhook/read")]
    [InlineData("webhook/update")]
    [InlineData("webhook/delete")]
    [InlineData("webhook/secret/rotate")]
    [InlineData("webhook/test")]
    [InlineData("webhook/delivery/list")]
    [InlineData("webhook/delivery/retry")]
    public async Task Another_users_webhook_is_201(string action)
    {
        var (owner, _) = await UserAsync();
        var (webhookId, _) = await SubscribeAsync(owner, receiver.Url);
        var (other, _) = await UserAsync();

        (await other.CallAsync(action, new JsonObject { ["webhook_id"] = webhookId, ["event_id"] = "msg_x", ["enabled"] = false }))
            .AssertError(201, HttpStatusCode.BadRequest);

        Assert.True((await owner.CallAsync("webhook/read", new JsonObject { ["webhook_id"] = webhookId })).AssertOk().Body["value"]!["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Fifteen_parallel_creates_make_exactly_ten_endpoints()
    {
        var (user, _) = await UserAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 15).Select(_ => user.CallAsync("webhook/create", new JsonObject { ["url"] = "https://example.com/hook", ["events"] = new JsonArray("*") })));

        Assert.Equal(10, answers.Count(a => a.Success));
        Assert.All(answers.Where(a => !a.Success), a => a.AssertError(7, HttpStatusCode.BadRequest));
        var list = (await user.CallAsync("webhook/list")).AssertOk().Body["list"]!.AsArray();
        Assert.Equal(10, list.Count);
        Assert.All(list, e => Assert.Null(e!["secret"]));
    }

    [Fact]
    public async Task An_event_whose_relay_never_ran_is_relayed_by_the_sweep()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow); // Now: the upload's Last-Modified is real time.
        var fault = new FaultInjection(message => message.Request.Uri.Query.Contains("outbox", StringComparison.Ordinal));
        await using var crashing = FormFilesFactory.OnClock(storage, clock, fault);
        var user = await crashing.CreateClient().NewUserAsync();
        var taskId = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields()));
        await SubscribeAsync(user, receiver.Url, "file.uploaded");

        var fileId = await UploadAsync(user, taskId, Uploads.JpegLike(600));
        await Uploads.EventuallyAsync(() => Task.FromResult(fault.Fired));
        await Task.Delay(300);
        Assert.True(fault.Fired);
        Assert.Empty(receiver.Received);

        clock.Advance(FormFiles.Webhooks.WebhookRelay.Grace + TimeSpan.FromMinutes(1));
        await crashing.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        var delivered = Assert.Single(await receiver.WaitForAsync(r => r.Count >= 1));
        Assert.Equal(fileId, delivered.Json["data"]!["id"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_change_whose_transaction_failed_sends_no_event()
    {
        var fault = new FaultInjection(FaultInjection.BatchOn("tasks"));
        await using var failing = new FormFilesFactory(Settings(), services =>
            services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(fault, Azure.Core.HttpPipelinePosition.PerCall))));
        var (user, taskId) = await UserAsync();
        await SubscribeAsync(user, receiver.Url, "file.deleted");
        var fileId = (await user.ReserveAsync(taskId, "photo", 100)).FileId;

        var answer = await (user with { Client = failing.CreateClient() }).CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = fileId });
        await Task.Delay(500);

        Assert.True(fault.Fired);
        Assert.Equal(14, answer.Code);
        Assert.Empty(receiver.Received);
        Assert.Equal("created", (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = fileId })).AssertOk().Body["value"]!["state"]!.GetValue<string>());
    }
}
