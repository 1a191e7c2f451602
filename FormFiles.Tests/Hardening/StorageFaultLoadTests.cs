using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FormFiles.DevHost.Azurite;
using FormFiles.Files;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Hardening;

/// <summary>
/// Eight clients create (with an Idempotency-Key, retried after a fault) → upload → submit, attach task
/// attachments, and create tasks and move them along, in parallel through two DevHost instances while
/// storage loses 8 % of its responses after executing the request (the SDK retries writes that landed)
/// and, for 7 s, refuses everything; both instances run the background passes and flush usage beside
/// them. Beside that they add and delete templates and queue webhook tests. Afterwards nothing may be lost,
/// doubled or stuck, usage adds up, every count row equals its rows, every delivery has its lookup and expiry
/// rows, and the retention purge, under the same lost responses, leaves nothing expired. On an Azurite of its own,
/// so that it can check every row and blob there is.
/// </summary>
public sealed class StorageFaultLoadTests : IAsyncLifetime
{
    private const int Clients = 8;
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(18);
    private static readonly TimeSpan OutageStart = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan OutageLength = TimeSpan.FromSeconds(7);

    private static readonly JsonArray Fields =
    [
        new JsonObject { ["id"] = "note", ["label"] = "Note", ["type"] = "text" },
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
    ];

    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private readonly LostResponses lost = new(0.08);
    private readonly StorageOutage outage = new();
    private readonly ConcurrentBag<string> violations = [];
    private readonly ConcurrentBag<(long UserId, long TaskId)> createdTasks = [];
    private readonly ConcurrentDictionary<string, ConcurrentBag<long>> keyedFiles = new();
    private readonly ConcurrentDictionary<long, int> createsRun = new();
    private readonly ConcurrentDictionary<long, int> createsReplayed = new();
    private readonly ConcurrentBag<(long WebhookId, string EventId)> testEvents = [];
    private readonly long[] webhooks = new long[Clients];
    private readonly (FormFilesFactory Host, HttpClient Client)[] instances = new (FormFilesFactory, HttpClient)[2];
    private AzuriteProcess azurite = null!;
    private WebhookReceiver receiver = null!;

    private FormFilesFactory Primary => instances[1].Host;

    private HttpClient PrimaryClient => instances[1].Client;

    public async Task InitializeAsync()
    {
        azurite = await AzuriteProcess.StartAsync(AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory), persistFolder: null, TextWriter.Null);
        receiver = await WebhookReceiver.StartAsync();
        for (var i = 0; i < instances.Length; i++)
            instances[i] = Start();
    }

    public async Task DisposeAsync()
    {
        foreach (var (instance, instanceClient) in instances)
        {
            instanceClient.Dispose();
            await instance.DisposeAsync();
        }

        await azurite.DisposeAsync();
        await receiver.DisposeAsync();
    }

    [Fact]
    public Task Lost_responses_and_an_outage_lose_double_and_strand_nothing() => LoadAsync(restartMidway: false);

    [Fact]
    public Task Lost_responses_an_outage_and_a_host_restart_lose_double_and_strand_nothing() => LoadAsync(restartMidway: true);

    private async Task LoadAsync(bool restartMidway)
    {
        var users = new List<(TestUser User, long TaskId)>();
        for (var i = 0; i < Clients; i++)
        {
            var user = await PrimaryClient.NewUserAsync();
            users.Add((user, await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields.DeepClone().AsArray()))));
            webhooks[i] = (await user.CallAsync("webhook/create", new JsonObject { ["url"] = receiver.Url.AbsoluteUri, ["events"] = new JsonArray("webhook.test") })).AssertOk().Body["id"]!.GetValue<long>();
        }

        var last = new JsonObject?[Clients];
        lost.Enabled = true;
        using var stop = new CancellationTokenSource(Run);
        var background = MaintainAsync(stop.Token);
        var faults = FaultsAsync(restartMidway);
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => ClientAsync(c, users[c].User, users[c].TaskId, last, stop.Token)));
        await faults;
        await background;
        lost.Enabled = false;
        outage.End();

        // After the faults: every client submits once more, and that must simply work.
        for (var c = 0; c < Clients; c++)
            last[c] = await FinalSubmissionAsync(users[c].User with { Client = PrimaryClient }, users[c].TaskId);

        // Usage written, then every reservation and every never-attached attachment past its time.
        await Task.WhenAll(instances.Select(i => i.Host.Services.GetRequiredService<Usage.UsageMeter>().FlushAsync(CancellationToken.None)));
        if (!restartMidway)
            await AssertUsageAddsUpAsync(users.Select(u => u.User with { Client = PrimaryClient }).ToList());
        var settings = Primary.Services.GetRequiredService<IOptions<FormFilesOptions>>().Value;
        clock.Advance(TimeSpan.FromTicks(Math.Max(settings.ReservationTtl.Ticks, settings.UnattachedTtl.Ticks)) + FileBlobs.ClockSkew + TimeSpan.FromMinutes(5));
        await Primary.Services.GetRequiredService<Reconciliation>().RunAsync(CancellationToken.None);
        var passes = new List<SweepPass>();
        for (var pass = 0; pass < 2; pass++)
            passes.Add(await Primary.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None));
        Assert.True(passes[^1].Counts[Sweeper.Outcome.Failed] == 0, "failed items by pass: " + string.Join(", ", passes.Select(p => p.Counts[Sweeper.Outcome.Failed])));

        // The sweep's own changes (file.deleted events for the users' endpoints) announce relays due a grace later: a pass after it finds what is left.
        clock.Advance(FormFiles.Webhooks.WebhookRelay.Grace + TimeSpan.FromMinutes(1));
        await Primary.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None);

        Assert.True(lost.Lost > 20, $"only {lost.Lost} responses were lost");
        Assert.True(violations.IsEmpty, string.Join("\n", violations.Take(20)));
        Assert.All(keyedFiles, k => Assert.True(k.Value.Distinct().Count() == 1, $"{k.Key} made files {string.Join(",", k.Value.Distinct())}"));
        for (var c = 0; c < Clients; c++)
        {
            var user = users[c].User with { Client = PrimaryClient };
            var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = users[c].TaskId })).AssertOk().Body["value"]!;
            Assert.True(JsonNode.DeepEquals(last[c], form["values"]), $"client {c}: {form["values"]?.ToJsonString()} is not {last[c]?.ToJsonString()}");
        }

        await AssertStorageConsistentAsync(users.Select(u => u.User with { Client = PrimaryClient }).ToList());
        await AssertListsExactAsync(users.Select(u => u.User with { Client = PrimaryClient }).ToList());
        await AssertTemplateCountsExactAsync(users.Select(u => u.User).ToList());
        await AssertDeliveriesFoundAndPurgedAsync();
    }

    /// <summary>
    /// One client's loop on its instance: reserve, upload (SAS or multipart, in turn), submit; a
    /// reservation it could not use is deleted. Every fourth round it also creates a task and moves its
    /// form's task between assigned and arrived.
    /// </summary>
    private async Task ClientAsync(int c, TestUser user, long taskId, JsonObject?[] last, CancellationToken stop)
    {
        HttpClient Instance() => instances[c % instances.Length].Client;
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            if (n % 4 == 3)
            {
                var task = await CallAsync(() => (user with { Client = Instance() }).CallAsync("task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = $"Extra {n}", ["external_id"] = $"c{c}" } }));
                if (task is { Success: true })
                    createdTasks.Add((user.Id, task.Body["id"]!.GetValue<long>()));
                await CallAsync(() => (user with { Client = Instance() }).CallAsync("task/status/change", new JsonObject { ["task_id"] = taskId, ["status"] = n % 8 == 3 ? "arrived" : "assigned" }));
            }

            if (n % 3 == 1)
                await AttachmentAsync(user with { Client = Instance() }, taskId);
            if (n % 5 == 2)
                await TemplateChurnAsync(user with { Client = Instance() }, n);
            if (n % 2 == 0 && await CallAsync(() => (user with { Client = Instance() }).CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhooks[c] })) is { Success: true } test)
                testEvents.Add((webhooks[c], test.Body["event_id"]!.GetValue<string>()));

            var created = await KeyedCreateAsync(user, Instance, taskId, $"load-{c}-{n}");
            if (created is not { Success: true })
                continue;
            var value = created.Body["value"]!;
            var fileId = value["file_id"]!.GetValue<long>();
            var jpeg = Uploads.JpegLike(2000 + n);
            var reservation = new Uploads.Reservation(fileId, value["fields"]!["token"]!.GetValue<string>(), new Uri(value["sas_url"]!.GetValue<string>()), user with { Client = Instance() });
            if (n % 2 == 0)
                await reservation.PutAsync(jpeg);
            else
                await CallAsync(() => Instance().UploadAsync(reservation.Token, new MemoryStream(jpeg), "photo.jpg"));

            var values = new JsonObject
            {
                ["note"] = new JsonObject { ["type"] = "text", ["value"] = $"client {c}, submission {n}" },
                ["photo"] = new JsonObject { ["type"] = "photo", ["file_ids"] = new JsonArray(fileId) },
            };
            var submitted = await CallAsync(() => (user with { Client = Instance() }).CallAsync("task/form/submit", new JsonObject { ["task_id"] = taskId, ["values"] = values.DeepClone() }));
            if (submitted is { Success: true })
                last[c] = values;
            else
                await CallAsync(() => (user with { Client = Instance() }).CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = fileId }));
        }
    }

    /// <summary>A create with an Idempotency-Key, sent again (same key, same instance or the other) after a fault, as a client retries.</summary>
    private async Task<Envelope?> KeyedCreateAsync(TestUser user, Func<HttpClient> instance, long taskId, string key)
    {
        Envelope? created = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            created = await CallAsync(() => instance().CallAsync("task/form/file/create", new JsonObject { ["hash"] = user.Hash, ["task_id"] = taskId, ["field_id"] = "photo", ["size"] = 3000 },
                headers: new Dictionary<string, string> { ["Idempotency-Key"] = key }));
            if (created is { Success: true })
            {
                keyedFiles.GetOrAdd(key, _ => []).Add(created.Body["value"]!["file_id"]!.GetValue<long>());
                var counted = created.Header("Idempotent-Replayed") == "true" ? createsReplayed : createsRun;
                counted.AddOrUpdate(user.Id, 1, (_, count) => count + 1);
                return created;
            }

            if (created is not null && created.Code is not (14 or 15))
                return created;
            await Task.Delay(200);
        }

        return created;
    }

    /// <summary>A task attachment: reserved, uploaded through the token, attached; detached when the attach failed.</summary>
    private async Task AttachmentAsync(TestUser user, long taskId)
    {
        var created = await CallAsync(() => user.CallAsync("task/file/create", new JsonObject { ["task_id"] = taskId, ["size"] = 3000 }));
        if (created is not { Success: true })
            return;
        var fileId = created.Body["value"]!["file_id"]!.GetValue<long>();
        await CallAsync(() => user.Client.UploadAsync(created.Body["value"]!["fields"]!["token"]!.GetValue<string>(), new MemoryStream(new byte[1500]), "plan.bin"));
        var attached = await CallAsync(() => user.CallAsync("task/file/attach", new JsonObject { ["task_id"] = taskId, ["file_ids"] = new JsonArray(fileId) }));
        if (attached is not { Success: true })
            await CallAsync(() => user.CallAsync("task/file/detach", new JsonObject { ["task_id"] = taskId, ["file_id"] = fileId }));
    }

    /// <summary>A template made and, every other time, deleted again (retried after a 14, as a client would).</summary>
    private async Task TemplateChurnAsync(TestUser user, int n)
    {
        var created = await CallAsync(() => user.CallAsync("form/template/create", new JsonObject { ["template"] = new JsonObject { ["label"] = $"churn {n}", ["fields"] = Fields.DeepClone() } }));
        if (created is not { Success: true } || n % 2 == 0)
            return;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (await CallAsync(() => user.CallAsync("form/template/delete", new JsonObject { ["template_id"] = created.Body["id"]!.GetValue<long>() })) is { Success: true })
                return;
            await Task.Delay(200);
        }
    }

    /// <summary>Each user's template count row says exactly how many templates it has.</summary>
    private async Task AssertTemplateCountsExactAsync(List<TestUser> users)
    {
        var templates = new TableClient(azurite.ConnectionString, "templates");
        foreach (var user in users)
        {
            var partition = user.Id.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
            var rows = await templates.QueryAsync<TableEntity>(r => r.PartitionKey == partition).ToListAsync();
            var count = rows.Single(r => r.RowKey == "count").GetInt64("Templates");
            Assert.Equal(rows.Count(r => r.RowKey != "count"), count);
        }
    }

    /// <summary>
    /// Every webhook test that answered has its delivery, found by its event id and with its expiry row; a month later the
    /// purge, under lost responses, leaves no delivery, lookup or expiry row behind.
    /// </summary>
    private async Task AssertDeliveriesFoundAndPurgedAsync()
    {
        Assert.NotEmpty(testEvents);
        var deliveries = await new TableClient(azurite.ConnectionString, "deliveries").QueryAsync<TableEntity>().ToListAsync();
        var expiry = (await new TableClient(azurite.ConnectionString, "deliveryexpiry").QueryAsync<TableEntity>().ToListAsync()).Select(r => r.RowKey).ToHashSet();
        var lookups = deliveries.Where(r => r.RowKey.StartsWith("e-", StringComparison.Ordinal)).ToDictionary(r => (r.PartitionKey, r.RowKey[2..]), r => r.GetString("Delivery"));
        foreach (var delivery in deliveries.Where(r => !r.RowKey.StartsWith("e-", StringComparison.Ordinal)))
        {
            Assert.Equal(delivery.RowKey, lookups.GetValueOrDefault((delivery.PartitionKey, delivery.GetString("EventId")!)));
            Assert.Contains($"{delivery.PartitionKey}|{delivery.RowKey}", expiry);
        }

        var queued = deliveries.Select(r => (r.PartitionKey, r.GetString("EventId"))).ToHashSet();
        Assert.All(testEvents, e => Assert.Contains((e.WebhookId.ToString("D19", System.Globalization.CultureInfo.InvariantCulture), e.EventId), queued));

        clock.Advance(TimeSpan.FromDays(31));
        var retention = Primary.Services.GetRequiredService<FormFiles.Webhooks.DeliveryRetention>();
        lost.Enabled = true;
        for (var pass = 0; pass < 20; pass++)
        {
            try
            {
                if (await retention.PurgeAsync(CancellationToken.None) == 0)
                    break; // Nothing left, or nothing left behind: the gate is shut for the hour.
            }
            catch (Azure.RequestFailedException)
            {
                // The SDK's retries ran out: the pass reopened its gate, and the next goes on.
            }
        }

        lost.Enabled = false;
        Assert.Empty(await new TableClient(azurite.ConnectionString, "deliveries").QueryAsync<TableEntity>().ToListAsync());
        Assert.Empty(await new TableClient(azurite.ConnectionString, "deliveryexpiry").QueryAsync<TableEntity>().ToListAsync());
    }

    /// <summary>Without a restart nothing is lost: every create a client saw run is counted ok (the final one too), every replay as replayed.</summary>
    private async Task AssertUsageAddsUpAsync(List<TestUser> users)
    {
        var today = clock.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var user in users)
        {
            var usage = (await PrimaryClient.AdminAsync("admin/usage/read", new JsonObject { ["user_id"] = user.Id, ["from"] = today, ["to"] = today })).AssertOk().Body;
            var creates = usage["list"]!.AsArray().Where(l => l!["action"]!.GetValue<string>() == "task/form/file/create").ToList();
            Assert.Equal(createsRun.GetValueOrDefault(user.Id) + 1, creates.Sum(l => l!["ok"]!.GetValue<long>()));
            Assert.Equal(createsReplayed.GetValueOrDefault(user.Id), creates.Sum(l => l!["replayed"]!.GetValue<long>()));
        }
    }

    /// <summary>An answer must be a success, a Navixy 4xx, or 14 (503): anything else is recorded as a violation.</summary>
    private async Task<Envelope?> CallAsync(Func<Task<Envelope>> call)
    {
        Envelope answer;
        try
        {
            answer = await call();
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or ObjectDisposedException)
        {
            return null; // The host restarted under the request: no answer, which a client retries.
        }

        var acceptable = answer.Success
                         || (answer.Code == 14 && answer.HttpStatus == HttpStatusCode.ServiceUnavailable && answer.Body["status"] is not null)
                         || ((int)answer.HttpStatus is >= 400 and < 500 && answer.Code is not (1 or 6 or 14));
        if (!acceptable)
        {
            // With what the hosts logged of that request, so that a failure names its cause.
            var logged = instances.SelectMany(i => i.Host.Services.GetFakeLogCollector().GetSnapshot())
                .Where(l => answer.Raw.Contains(l.Message.Split("(request ").LastOrDefault()?.TrimEnd(')') ?? "\0", StringComparison.Ordinal))
                .Select(l => $"{l.Message}: {l.Exception?.GetType().Name} {l.Exception?.Message.Split('\n')[0]} at {l.Exception?.StackTrace?.Split('\n').FirstOrDefault(f => f.Contains("FormFiles.", StringComparison.Ordinal))?.Trim()}");
            violations.Add($"{(int)answer.HttpStatus} {answer.Raw} [{string.Join(" | ", logged)}]");
        }
        return answer;
    }

    /// <summary>The timer's passes and the usage flush, every half second on both instances, under the same faults.</summary>
    private async Task MaintainAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await Task.WhenAll(instances.SelectMany(i => new[]
            {
                i.Host.Services.GetRequiredService<Maintenance>().RunAsync(CancellationToken.None),
                i.Host.Services.GetRequiredService<Usage.UsageMeter>().FlushAsync(CancellationToken.None),
            }));
            await Task.Delay(500, CancellationToken.None);
        }
    }

    private async Task FaultsAsync(bool restartMidway)
    {
        await Task.Delay(OutageStart);
        outage.Begin();
        await Task.Delay(OutageLength / 2);
        if (restartMidway)
        {
            var (oldHost, oldClient) = instances[0];
            instances[0] = Start();
            oldClient.Dispose();
            await oldHost.DisposeAsync();
        }

        await Task.Delay(OutageLength / 2);
        outage.End();
    }

    private async Task<JsonObject> FinalSubmissionAsync(TestUser user, long taskId)
    {
        var reservation = await user.ReserveAsync(taskId, "photo", 3000, "final.jpg");
        (await reservation.UploadAsync(Uploads.JpegLike(2500), "final.jpg")).AssertOk();
        var values = new JsonObject
        {
            ["note"] = new JsonObject { ["type"] = "text", ["value"] = "after the faults" },
            ["photo"] = new JsonObject { ["type"] = "photo", ["file_ids"] = new JsonArray(reservation.FileId) },
        };
        (await user.CallAsync("task/form/submit", new JsonObject { ["task_id"] = taskId, ["values"] = values.DeepClone() })).AssertOk();
        return values;
    }

    /// <summary>No file stuck, quota equal to the live files, and every blob owned by a live file that owns it.</summary>
    private async Task AssertStorageConsistentAsync(List<TestUser> users)
    {
        var files = await new TableClient(azurite.ConnectionString, "tasks")
            .QueryAsync<FileEntity>(f => f.RowKey.CompareTo(FileEntity.RowPrefix) >= 0 && f.RowKey.CompareTo("file.") < 0).ToListAsync();
        Assert.DoesNotContain(files, f => f.State is FileStates.Created or FileStates.InProgress);
        var pending = await new TableClient(azurite.ConnectionString, "pending").QueryAsync<TableEntity>().ToListAsync();
        Assert.True(pending.Count == 0, "left in the pending index: " + string.Join("; ", pending.Select(r => $"{r.PartitionKey}/{r.RowKey} file {r.GetInt64("FileId")}: "
            + (files.FirstOrDefault(f => f.Id == r.GetInt64("FileId")) is { } file ? $"{file.State}, submitted {file.Submitted}, expires {file.Expires:O}" : "no file row")))
            + $"; now {clock.GetUtcNow():O}");

        var uploaded = files.Where(f => f.State == FileStates.Uploaded).ToList();
        foreach (var user in users)
        {
            var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
            var own = uploaded.Where(f => f.UserId == user.Id).ToList();
            var charges = await new TableClient(azurite.ConnectionString, "users")
                .QueryAsync<TableEntity>(r => r.PartitionKey == user.Id.ToString("D19", System.Globalization.CultureInfo.InvariantCulture)).ToListAsync();
            Assert.True(own.Count == stats["file_count"]!.GetValue<long>(),
                $"{stats.ToJsonString()} for uploaded {string.Join(",", own.Select(f => f.Id))}; rows: {string.Join("; ", charges.Select(c => c.RowKey + " " + string.Join(",", c.Where(p => p.Key is "Bytes" or "UsedBytes" or "FileCount").Select(p => $"{p.Key}={p.Value}"))))}; "
                + $"files: {string.Join("; ", files.Where(f => f.UserId == user.Id).Select(f => $"{f.Id} {f.State}"))}");
            Assert.Equal(own.Sum(f => f.Size ?? 0), stats["total_size"]!.GetValue<long>());
        }

        // Accepted bytes are exactly the uploaded files'; under the upload names (every SAS long dead) nothing but the
        // empty tombstones of uploaded files may be left, and no byte at all.
        var service = new BlobServiceClient(azurite.ConnectionString);
        var accepted = await service.GetBlobContainerClient(FileBlobs.AcceptedContainerName)
            .GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None).Select(b => b.Name).ToHashSetAsync();
        Assert.Equal(uploaded.Select(f => f.BlobName).Order(), accepted.Order());
        var names = await service.GetBlobContainerClient(FileBlobs.ContainerName)
            .GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.Snapshots, null, CancellationToken.None).ToListAsync();
        string Describe(string name) => files.FirstOrDefault(f => f.BlobName == name) is { } file ? $"{name} ({file.State}, expires {file.Expires:O})" : $"{name} (no file row)";
        Assert.True(names.All(n => n.Properties.ContentLength == 0), "bytes under upload names: " + string.Join("; ", names.Where(n => n.Properties.ContentLength > 0).Select(n => $"{Describe(n.Name)} {n.Properties.ContentLength} bytes{(n.Snapshot is null ? "" : " in a snapshot")}")));
        var strays = names.Select(n => n.Name).Except(uploaded.Select(f => f.BlobName)).Distinct().ToList();
        Assert.True(strays.Count == 0, "upload names of no uploaded file: " + string.Join("; ", strays.Select(Describe)) + $"; now {clock.GetUtcNow():O}");
    }

    /// <summary>
    /// Every task a create answered for is listed; each list's count equals its rows (the client's external id's list too:
    /// every extra task, and nothing else), and the form's task is listed as it reads.
    /// </summary>
    private async Task AssertListsExactAsync(List<TestUser> users)
    {
        for (var c = 0; c < users.Count; c++)
        {
            var user = users[c];
            var external = (await user.CallAsync("task/list", new JsonObject { ["external_id"] = $"c{c}" })).AssertOk().Body;
            var externalIds = external["list"]!.AsArray().Select(t => t!["id"]!.GetValue<long>()).ToHashSet();
            Assert.Equal(externalIds.Count, external["count"]!.GetValue<int>());
            Assert.Subset(externalIds, createdTasks.Where(t => t.UserId == user.Id).Select(t => t.TaskId).ToHashSet());

            var list = (await user.CallAsync("task/list")).AssertOk().Body;
            var listed = list["list"]!.AsArray().Select(t => (Id: t!["id"]!.GetValue<long>(), Status: t["status"]!.GetValue<string>())).ToList();
            Assert.Equal(listed.Count, list["count"]!.GetValue<int>());
            Assert.Equal(listed.Count - 1, externalIds.Count); // All but the form's task.
            Assert.Subset(listed.Select(t => t.Id).ToHashSet(), createdTasks.Where(t => t.UserId == user.Id).Select(t => t.TaskId).ToHashSet());
            foreach (var (id, status) in listed)
                Assert.Equal(status, (await user.CallAsync("task/read", new JsonObject { ["task_id"] = id })).AssertOk().Body["value"]!["status"]!.GetValue<string>());
        }
    }

    private (FormFilesFactory Host, HttpClient Client) Start()
    {
        var started = new FormFilesFactory(
            new Dictionary<string, string?>
            {
                ["FormFiles:Storage:ConnectionString"] = azurite.ConnectionString,
                ["FormFiles:AdminKey"] = Scenario.AdminKey,
            },
            services =>
            {
                services.AddSingleton<TimeProvider>(clock);
                services.AddAzureClients(clients => clients.ConfigureDefaults(options =>
                {
                    options.Retry.Delay = TimeSpan.FromMilliseconds(100);
                    options.Retry.MaxDelay = TimeSpan.FromSeconds(1);
                    options.AddPolicy(lost, HttpPipelinePosition.PerRetry);
                    options.AddPolicy(outage, HttpPipelinePosition.PerRetry);
                }));
            });
        started.StartServer();
        return (started, started.CreateClient());
    }
}
