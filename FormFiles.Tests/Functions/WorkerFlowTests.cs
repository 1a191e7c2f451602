using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Functions;

/// <summary>
/// The real worker's non-HTTP functions as Azure runs them: an upload completed by Event Grid's BlobCreated through the
/// blob trigger, the maintenance timer's sweep, and a webhook retry that only the deliveries timer sends.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class WorkerFlowTests(ServiceFixture service)
{
    private static readonly JsonArray Fields =
    [
        new JsonObject { ["id"] = "note", ["label"] = "Note", ["type"] = "text" },
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
    ];

    [Fact]
    public async Task A_sas_upload_completes_by_its_blob_created_event_then_the_form_is_submitted_and_the_timer_sweeps()
    {
        await using var worker = await Worker.StartAsync(service.NewStorage());
        var (user, taskId) = await TaskAsync(worker);
        var reservation = await user.ReserveAsync(taskId, "photo", 3000, "p.jpg");

        Assert.Equal(HttpStatusCode.Created, (await reservation.PutAsync(Uploads.JpegLike(3000))).StatusCode);
        Assert.Equal("created", (await reservation.ReadFileAsync())["state"]!.GetValue<string>()); // Nothing completes it but the event.
        using (var delivered = await worker.Client.PostAsJsonAsync("/runtime/webhooks/blobs?functionName=Host.Functions.BlobCreated", BlobCreated(reservation.SasUrl)))
            Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
        Assert.Equal("uploaded", (await reservation.ReadFileAsync())["state"]!.GetValue<string>());

        var values = new JsonObject
        {
            ["note"] = new JsonObject { ["type"] = "text", ["value"] = "through the worker" },
            ["photo"] = new JsonObject { ["type"] = "photo", ["file_ids"] = new JsonArray(reservation.FileId) },
        };
        (await user.CallAsync("task/form/submit", new JsonObject { ["task_id"] = taskId, ["values"] = values.DeepClone() })).AssertOk();
        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = taskId })).AssertOk().Body["value"]!;
        Assert.Equal("through the worker", form["values"]!["note"]!["value"]!.GetValue<string>());
        Assert.Equal(reservation.FileId, form["values"]!["photo"]!["file_ids"]![0]!.GetValue<long>());

        Assert.Null((await HealthAsync(worker))["sweep"]!["last_completed"]?.GetValue<string>());
        await worker.Host.InvokeTimerAsync("Maintenance");
        Assert.True(await Uploads.EventuallyAsync(async () => (await HealthAsync(worker))["sweep"]!["last_completed"] is not null)); // Health's probe is cached a few seconds.
    }

    [Fact]
    public async Task The_urls_the_worker_hands_out_are_the_hosts_not_the_workers_own_server()
    {
        await using var worker = await Worker.StartAsync(service.NewStorage());
        var (user, taskId) = await TaskAsync(worker);
        var reserved = (await user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = taskId, ["field_id"] = "photo", ["size"] = 500 })).AssertOk().Body["value"]!;
        var uploaded = (await worker.Client.UploadAsync(reserved["fields"]!["token"]!.GetValue<string>(), new MemoryStream(Uploads.JpegLike(500)), "p.jpg")).AssertOk().Body["value"]!;

        var root = worker.Host.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.StartsWith(root + "/v2/task/form/file/upload", reserved["url"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith(root + "/v2/file/download?", uploaded["download_url"]!.GetValue<string>(), StringComparison.Ordinal);

        // A client's own X-Forwarded-Host is the host's to replace, as the real host's proxy does.
        using var spoofed = new HttpRequestMessage(HttpMethod.Post, "/v2/task/form/file/read") { Content = JsonContent.Create(new JsonObject { ["hash"] = user.Hash, ["file_id"] = uploaded["id"]!.GetValue<long>() }) };
        spoofed.Headers.Add("X-Forwarded-Host", "files.example.com");
        var read = (await worker.Client.CallAsync(spoofed)).AssertOk().Body["value"]!;
        Assert.StartsWith(root + "/v2/file/download?", read["download_url"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upload_whose_event_was_lost_is_completed_by_the_maintenance_timers_reconciliation()
    {
        await using var worker = await Worker.StartAsync(service.NewStorage());
        var (user, taskId) = await TaskAsync(worker);
        var reservation = await user.ReserveAsync(taskId, "photo", 2000, "p.jpg");
        await reservation.PutAsync(Uploads.JpegLike(2000));
        Assert.Equal("created", (await reservation.ReadFileAsync())["state"]!.GetValue<string>());

        await worker.Host.InvokeTimerAsync("Maintenance");

        Assert.Equal("uploaded", (await reservation.ReadFileAsync())["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_webhook_delivery_that_failed_is_retried_by_the_deliveries_timer()
    {
        // The in-process runner looks for due retries only every five minutes here: the retry is the timer's.
        await using var worker = await Worker.StartAsync(service.NewStorage(), ("FormFiles:Webhooks:PollInterval", "00:05:00"));
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, attempt) => attempt == 1 ? 500 : 200;
        var user = await worker.Client.NewUserAsync();
        var webhook = (await user.CallAsync("webhook/create", new JsonObject { ["url"] = receiver.Url.AbsoluteUri, ["events"] = new JsonArray("webhook.test") })).AssertOk().Body["id"]!.GetValue<long>();

        (await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhook })).AssertOk();
        await receiver.WaitForAsync(received => received.Count == 1);
        await Task.Delay(1000); // Its retry is due after 200 ms: nothing but the timer sends it.
        Assert.Single(receiver.Received);

        await worker.Host.InvokeTimerAsync("WebhookDeliveries");
        var received = await receiver.WaitForAsync(r => r.Count == 2);
        Assert.Equal([(1, 500), (2, 200)], received.Select(d => (d.Attempt, d.Status)));
    }

    [Fact]
    public async Task The_hosts_manual_run_endpoint_runs_a_timer_and_a_blob_trigger()
    {
        await using var worker = await Worker.StartAsync(service.NewStorage());
        var (user, taskId) = await TaskAsync(worker);
        var reservation = await user.ReserveAsync(taskId, "photo", 1000, "p.jpg");
        await reservation.PutAsync(Uploads.JpegLike(1000));
        var blob = reservation.SasUrl.AbsolutePath.Split("/form-files/")[1];

        using (var run = await worker.Client.PostAsJsonAsync("/admin/functions/BlobCreated", new JsonObject { ["input"] = $"form-files/{Uri.UnescapeDataString(blob)}" }))
            Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        Assert.Equal("uploaded", (await reservation.ReadFileAsync())["state"]!.GetValue<string>());
        using (var run = await worker.Client.PostAsJsonAsync("/admin/functions/Maintenance", new JsonObject()))
            Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        using (var unknown = await worker.Client.PostAsJsonAsync("/admin/functions/Nothing", new JsonObject()))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    /// <summary>What Event Grid posts for a blob written through a SAS: the Event Grid schema, the blob's URL without its query.</summary>
    private static JsonArray BlobCreated(Uri sasUrl) =>
    [
        new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["topic"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1",
            ["subject"] = $"/blobServices/default/containers/form-files/blobs/{sasUrl.AbsolutePath.Split("/form-files/")[1]}",
            ["eventType"] = "Microsoft.Storage.BlobCreated",
            ["eventTime"] = DateTimeOffset.UtcNow.ToString("O"),
            ["dataVersion"] = "",
            ["metadataVersion"] = "1",
            ["data"] = new JsonObject
            {
                ["api"] = "PutBlob",
                ["blobType"] = "BlockBlob",
                ["url"] = sasUrl.GetLeftPart(UriPartial.Path),
            },
        },
    ];

    /// <summary>A new user with a task whose form has a note and a photo field, through the worker.</summary>
    private static async Task<(TestUser User, long TaskId)> TaskAsync(Worker worker)
    {
        var user = await worker.Client.NewUserAsync();
        return (user, await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields.DeepClone().AsArray())));
    }

    private static async Task<JsonNode> HealthAsync(Worker worker) => (await Envelope.ReadAsync(await worker.Client.GetAsync("/v2/health"))).Body;
}
