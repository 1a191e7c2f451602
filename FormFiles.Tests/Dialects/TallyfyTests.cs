using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Dialects;

/// <summary>Tallyfy's upload-then-attach flow, as its client sends it: Bearer key, multipart with its fields, task data by PUT.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class TallyfyTests(ServiceFixture service)
{
    private static JsonArray Fields =>
    [
        new JsonObject { ["id"] = "name", ["label"] = "Name", ["type"] = "text" },
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
        new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file", ["max_file_size"] = 1000 },
    ];

    [Fact]
    public async Task Upload_put_taskdata_read_it_canonically_and_download()
    {
        var user = await service.Client.NewUserAsync();
        var template = await user.CreateTemplateAsync(Fields);
        var task = await user.CreateTaskAsync(template, label: "Deliver parcel");
        var bytes = Uploads.JpegLike(700);

        var uploaded = await UploadAsync(user, user.Id, task, "photo", bytes, "parcel.jpg", checklist: template.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(uploaded.Status == HttpStatusCode.OK, uploaded.Body.ToJsonString());
        var asset = uploaded.Body["data"]![0]!;
        var id = asset["id"]!.GetValue<string>();
        Assert.Equal("parcel.jpg", asset["filename"]!.GetValue<string>());
        Assert.Equal(1, asset["version"]!.GetValue<int>());
        Assert.Equal("step-1", asset["step_id"]!.GetValue<string>());
        Assert.Equal("photo", asset["uploaded_from"]!.GetValue<string>());
        Assert.Equal(task.ToString(System.Globalization.CultureInfo.InvariantCulture), asset["subject"]!["id"]!.GetValue<string>());
        Assert.Equal("Run", asset["subject"]!["type"]!.GetValue<string>());
        Assert.Equal(700, asset["size"]!.GetValue<long>());
        Assert.Equal("image/jpeg", asset["mime_type"]!.GetValue<string>());
        Assert.True(asset["uploaded_to_s3"]!.GetValue<bool>());
        Assert.Equal(700, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["total_size"]!.GetValue<long>()); // Settled from the field's maximum.

        var put = await SendAsync(HttpMethod.Put, $"/organizations/{user.Id}/runs/{task}/tasks/{task}", user.Hash, new JsonObject { ["taskdata"] = new JsonObject { ["photo"] = new JsonArray(asset.DeepClone()) } });
        Assert.True(put.Status == HttpStatusCode.OK, put.Body.ToJsonString());
        Assert.Equal("Deliver parcel", put.Body["data"]!["title"]!.GetValue<string>());
        Assert.Equal(id, put.Body["data"]!["taskdata"]!["photo"]![0]!["id"]!.GetValue<string>());

        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task })).AssertOk().Body["value"]!;
        Assert.NotNull(form["submitted"]);
        Assert.Equal(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture), form["values"]!["photo"]!["file_ids"]![0]!.GetValue<long>());

        // Again: now a values update, the other fields kept.
        var second = await UploadAsync(user, user.Id, task, "photo", Uploads.JpegLike(300), "door.jpg");
        var both = new JsonArray(asset.DeepClone(), second.Body["data"]![0]!.DeepClone());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/organizations/{user.Id}/runs/{task}/tasks/{task}", user.Hash, new JsonObject { ["taskdata"] = new JsonObject { ["photo"] = both } })).Status);
        Assert.Equal(2, (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task })).AssertOk().Body["value"]!["values"]!["photo"]!["file_ids"]!.AsArray().Count);

        // Metadata at …/assets/{id}; the file itself at …/file/{id} (inline) and …/file/{id}/dl (an attachment), as Tallyfy serves them.
        var read = await SendAsync(HttpMethod.Get, $"/organizations/{user.Id}/assets/{id}", user.Hash);
        Assert.Equal(id, read.Body["data"]!["id"]!.GetValue<string>());
        using var inline = new HttpRequestMessage(HttpMethod.Get, $"/organizations/{user.Id}/file/{id}");
        inline.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Hash);
        using var shown = await service.Client.SendAsync(inline);
        Assert.Equal("inline", shown.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("image/jpeg", shown.Content.Headers.ContentType!.MediaType);
        Assert.Equal(bytes, await shown.Content.ReadAsByteArrayAsync());
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = service.Client.BaseAddress };
        using var dl = new HttpRequestMessage(HttpMethod.Get, $"/organizations/{user.Id}/file/{id}/dl");
        dl.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Hash);
        using var attachment = await noRedirect.SendAsync(dl);
        Assert.True(attachment.StatusCode == HttpStatusCode.OK, $"{attachment.StatusCode}: {await attachment.Content.ReadAsStringAsync()}");
        Assert.Equal("attachment", attachment.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal(bytes, await attachment.Content.ReadAsByteArrayAsync()); // The bytes themselves, as Tallyfy serves them.

        var delete = await SendAsync(HttpMethod.Delete, $"/organizations/{user.Id}/file/{id}", user.Hash);
        AssertError(delete, HttpStatusCode.UnprocessableEntity, 269);
        AssertError(await SendAsync(HttpMethod.Delete, $"/organizations/{user.Id}/assets/{id}", user.Hash), HttpStatusCode.UnprocessableEntity, 269); // The same delete.
    }

    [Fact]
    public async Task Errors_come_in_its_envelope_and_a_refused_upload_keeps_nothing()
    {
        var user = await service.Client.NewUserAsync();
        var stranger = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields));
        var strangersTask = await stranger.CreateTaskAsync(await stranger.CreateTemplateAsync(Fields));

        AssertError(await SendAsync(HttpMethod.Get, $"/organizations/{user.Id}/file/1", hash: null), HttpStatusCode.Unauthorized, 3);
        AssertError(await SendAsync(HttpMethod.Get, $"/organizations/{user.Id}/file/1", "0123456789abcdef0123456789abcdef"), HttpStatusCode.Unauthorized, 4);
        AssertError(await SendAsync(HttpMethod.Get, $"/organizations/{stranger.Id}/file/1", user.Hash), HttpStatusCode.NotFound, 201);
        AssertError(await UploadAsync(user, user.Id, strangersTask, "photo", Uploads.JpegLike(10), "p.jpg"), HttpStatusCode.NotFound, 201);
        AssertError(await UploadAsync(user, user.Id, task, "doc", new byte[2000], "big.bin"), HttpStatusCode.RequestEntityTooLarge, 271);
        AssertError(await UploadAsync(user, user.Id, task, "photo", new byte[100], "fake.jpg"), HttpStatusCode.UnprocessableEntity, 7);
        AssertError(await UploadAsync(user, user.Id, task, "photo", Uploads.JpegLike(10), "p.jpg", checklist: "999999"), HttpStatusCode.UnprocessableEntity, 7);
        AssertError(await SendAsync(HttpMethod.Put, $"/organizations/{user.Id}/runs/{strangersTask}/tasks/{task}", user.Hash, new JsonObject { ["taskdata"] = new JsonObject() }), HttpStatusCode.NotFound, 201);
        AssertError(await SendAsync(HttpMethod.Put, $"/organizations/{user.Id}/runs/no_such_run/tasks/{task}", user.Hash, new JsonObject { ["taskdata"] = new JsonObject() }), HttpStatusCode.NotFound, 201);
        AssertError(await SendAsync(HttpMethod.Put, $"/organizations/{user.Id}/runs/{task}/tasks/{task}", user.Hash, new JsonObject { ["taskdata"] = new JsonObject { ["photo"] = new JsonArray(new JsonObject { ["id"] = "x" }) } }), HttpStatusCode.UnprocessableEntity, 7);
        // Assets for a text field have no reading as its value: 7, naming the field.
        var unread = await SendAsync(HttpMethod.Put, $"/organizations/{user.Id}/runs/{task}/tasks/{task}", user.Hash, new JsonObject { ["taskdata"] = new JsonObject { ["name"] = new JsonArray(new JsonObject { ["id"] = "12345" }) } });
        AssertError(unread, HttpStatusCode.UnprocessableEntity, 7);
        Assert.Contains("taskdata.name", unread.Body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        // A value of the right kind that the field refuses is the canonical validation's 242, with its errors.
        var invalid = await SendAsync(HttpMethod.Put, $"/organizations/{user.Id}/runs/{task}/tasks/{task}", user.Hash, new JsonObject { ["taskdata"] = new JsonObject { ["photo"] = new JsonArray(new JsonObject { ["id"] = "12345" }) } });
        AssertError(invalid, HttpStatusCode.UnprocessableEntity, 242);
        Assert.NotEmpty(invalid.Body["errors"]!.AsArray());

        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.Equal(0, stats["file_count"]!.GetValue<long>());
        Assert.Empty((await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task })).AssertOk().Body["files"]!.AsArray());
    }

    [Fact]
    public async Task Task_data_keeps_other_values_checks_signatures_and_unknown_fields_and_assets_are_uploaded_field_files()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(
            [.. Fields.Select(f => f!.DeepClone()), new JsonObject { ["id"] = "sign", ["label"] = "Signature", ["type"] = "signature" }]));
        (await user.CallAsync("task/form/submit", new JsonObject { ["task_id"] = task, ["values"] = new JsonObject { ["name"] = new JsonObject { ["type"] = "text", ["value"] = "Ann" } } })).AssertOk();
        var one = (await UploadAsync(user, user.Id, task, "sign", Uploads.JpegLike(50), "s.jpg")).Body["data"]![0]!;
        var two = (await UploadAsync(user, user.Id, task, "sign", Uploads.JpegLike(60), "t.jpg")).Body["data"]![0]!;
        var path = $"/organizations/{user.Id}/runs/{task}/tasks/{task}";

        AssertError(await SendAsync(HttpMethod.Put, path, user.Hash, new JsonObject { ["taskdata"] = new JsonObject { ["sign"] = new JsonArray(one.DeepClone(), two.DeepClone()) } }), HttpStatusCode.UnprocessableEntity, 7);
        AssertError(await SendAsync(HttpMethod.Put, path, user.Hash, new JsonObject { ["taskdata"] = new JsonObject { ["nope"] = new JsonArray() } }), HttpStatusCode.NotFound, 201);
        var put = await SendAsync(HttpMethod.Put, path, user.Hash, new JsonObject { ["taskdata"] = new JsonObject { ["sign"] = new JsonArray(one.DeepClone()) } });
        Assert.True(put.Status == HttpStatusCode.OK, put.Body.ToJsonString());

        var values = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task })).AssertOk().Body["value"]!["values"]!;
        Assert.Equal("Ann", values["name"]!["value"]!.GetValue<string>());
        Assert.Equal(long.Parse(one["id"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), values["sign"]!["file_id"]!.GetValue<long>());

        // Not assets: an attachment, a reservation not uploaded.
        var attachment = (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 10 })).AssertOk().Body["value"]!["file_id"]!.GetValue<long>();
        var reserved = (await user.ReserveAsync(task, "photo", 10)).FileId;
        foreach (var id in new[] { attachment, reserved })
        {
            AssertError(await SendAsync(HttpMethod.Get, $"/organizations/{user.Id}/assets/{id}", user.Hash), HttpStatusCode.NotFound, 201);
            AssertError(await SendAsync(HttpMethod.Get, $"/organizations/{user.Id}/file/{id}", user.Hash), HttpStatusCode.NotFound, 201);
            AssertError(await SendAsync(HttpMethod.Get, $"/organizations/{user.Id}/file/{id}/dl", user.Hash), HttpStatusCode.NotFound, 201);
        }

        AssertError(await SendAsync(HttpMethod.Delete, $"/organizations/{user.Id}/file/{attachment}", user.Hash), HttpStatusCode.NotFound, 201);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Delete, $"/organizations/{user.Id}/file/{reserved}", user.Hash)).Status);
    }

    [Fact]
    public async Task A_download_whose_blob_is_gone_or_unreachable_is_404_or_14_in_its_envelope_without_the_file_s_headers()
    {
        var armed = false;
        var fault = new FaultInjection(m => armed && m.Request.Method == Azure.Core.RequestMethod.Get && m.Request.Uri.Path.Contains("/accepted-files/", StringComparison.Ordinal));
        var bodies = new BrokenBodies(fault);
        var storage = service.NewStorage();
        await using var host = FormFilesFactory.OnClock(storage, TimeProvider.System, bodies);
        var user = await host.CreateClient().NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields));
        var id = (await UploadAsync(user, user.Id, task, "photo", Uploads.JpegLike(70), "p.jpg")).Body["data"]![0]!["id"]!.GetValue<string>();
        var dl = $"/organizations/{user.Id}/file/{id}/dl";

        armed = true; // Storage refuses the download: 503 and 14, as every storage failure.
        var refused = await user.Client.SendAsync(Get(dl, user.Hash));
        Assert.True(fault.Fired);
        AssertError(await ReadAsync(refused), HttpStatusCode.ServiceUnavailable, 14);
        Assert.Null(refused.Content.Headers.ContentDisposition);

        // Storage answers, then its body breaks before the first byte reached the client: still 14, without the file's length.
        bodies.Broken = true;
        var broken = await user.Client.SendAsync(Get(dl, user.Hash));
        bodies.Broken = false;
        AssertError(await ReadAsync(broken), HttpStatusCode.ServiceUnavailable, 14);
        Assert.Null(broken.Content.Headers.ContentDisposition);

        // The accepted blob went between the file's read and its download (a delete, a sweep): 404, not 500.
        var blobs = new Azure.Storage.Blobs.BlobServiceClient(storage.ConnectionString).GetBlobContainerClient("accepted-files");
        await foreach (var blob in blobs.GetBlobsAsync())
            await blobs.DeleteBlobAsync(blob.Name);
        var gone = await user.Client.SendAsync(Get(dl, user.Hash));
        AssertError(await ReadAsync(gone), HttpStatusCode.NotFound, 201);
        Assert.Null(gone.Content.Headers.ContentDisposition);
    }

    /// <summary>Passes requests to <paramref name="inner"/>; while <see cref="Broken"/>, a blob's body fails on its first read.</summary>
    private sealed class BrokenBodies(Azure.Core.Pipeline.HttpPipelineSynchronousPolicy inner) : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        public volatile bool Broken;

        public override void OnSendingRequest(Azure.Core.HttpMessage message) => inner.OnSendingRequest(message);

        public override void OnReceivedResponse(Azure.Core.HttpMessage message)
        {
            if (Broken && message.Request.Uri.Path.Contains("/accepted-files/", StringComparison.Ordinal) && message.Response.ContentStream is not null)
                message.Response.ContentStream = new Failing();
        }

        private sealed class Failing : MemoryStream
        {
            public override int Read(byte[] buffer, int offset, int count) => throw new IOException("Injected: the connection broke");

            public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => throw new IOException("Injected: the connection broke");

            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => throw new IOException("Injected: the connection broke");
        }
    }

    private static HttpRequestMessage Get(string path, string hash) =>
        new(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", hash) } };

    [Fact]
    public async Task Parallel_puts_on_different_fields_both_land()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields));
        var path = $"/organizations/{user.Id}/runs/{task}/tasks/{task}";
        for (var round = 0; round < 3; round++)
        {
            var photo = (await UploadAsync(user, user.Id, task, "photo", Uploads.JpegLike(30), "p.jpg")).Body["data"]![0]!;
            var doc = (await UploadAsync(user, user.Id, task, "doc", new byte[30], "d.bin")).Body["data"]![0]!;

            var puts = await Task.WhenAll(
                SendAsync(HttpMethod.Put, path, user.Hash, new JsonObject { ["taskdata"] = new JsonObject { ["photo"] = new JsonArray(photo.DeepClone()) } }),
                SendAsync(HttpMethod.Put, path, user.Hash, new JsonObject { ["taskdata"] = new JsonObject { ["doc"] = new JsonArray(doc.DeepClone()) } }));

            Assert.All(puts, p => Assert.True(p.Status == HttpStatusCode.OK, p.Body.ToJsonString()));
            var values = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = task })).AssertOk().Body["value"]!["values"]!;
            Assert.Equal(photo["id"]!.GetValue<string>(), values["photo"]!["file_ids"]![0]!.ToString());
            Assert.Equal(doc["id"]!.GetValue<string>(), values["doc"]!["file_ids"]![0]!.ToString());
        }
    }

    [Fact]
    public async Task An_idempotency_key_does_not_turn_a_second_upload_into_a_replay()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields));

        var first = await UploadAsync(user, user.Id, task, "photo", Uploads.JpegLike(40), "a.jpg", idempotencyKey: "same");
        var second = await UploadAsync(user, user.Id, task, "photo", Uploads.JpegLike(40), "a.jpg", idempotencyKey: "same");

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.NotEqual(first.Body["data"]![0]!["id"]!.GetValue<string>(), second.Body["data"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(80, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["total_size"]!.GetValue<long>());
    }

    /// <summary>The dialects hold no rule of their own: a user's quota, changed once in Core, refuses all three paths.</summary>
    [Fact]
    public async Task One_core_rule_changes_every_api_alike()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields));
        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["quota_bytes"] = 500 })).AssertOk();

        (await user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = task, ["field_id"] = "doc", ["size"] = 600 })).AssertError(268, HttpStatusCode.PaymentRequired);
        (await user.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 600 })).AssertError(268, HttpStatusCode.PaymentRequired);
        AssertError(await UploadAsync(user, user.Id, task, "doc", new byte[600], "a.bin"), HttpStatusCode.UnprocessableEntity, 268);

        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["quota_bytes"] = 100_000 })).AssertOk();
        Assert.Equal(HttpStatusCode.OK, (await UploadAsync(user, user.Id, task, "doc", new byte[600], "a.bin")).Status);
    }

    private static void AssertError((HttpStatusCode Status, JsonObject Body) answer, HttpStatusCode status, int code)
    {
        Assert.True(answer.Status == status, $"{answer.Status}: {answer.Body.ToJsonString()}");
        Assert.True(code == answer.Body["code"]!.GetValue<int>(), answer.Body.ToJsonString());
        Assert.False(string.IsNullOrWhiteSpace(answer.Body["message"]!.GetValue<string>()));
        Assert.NotNull(answer.Body["errors"]!.AsArray());
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> UploadAsync(TestUser user, long org, long task, string field, byte[] bytes, string filename, string? checklist = null, string? idempotencyKey = null)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(field), "uploaded_from" },
            { new StringContent("Run"), "subject_type" },
            { new StringContent(task.ToString(System.Globalization.CultureInfo.InvariantCulture)), "subject_id" },
            { new StringContent("local"), "source" },
            { new StringContent("step-1"), "step_id" },
        };
        if (checklist is not null)
            form.Add(new StringContent(checklist), "checklist_id");
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "name", filename);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/organizations/{org}/file") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Hash);
        request.Headers.TryAddWithoutValidation("X-Tallyfy-Client", "APIClient");
        if (idempotencyKey is not null)
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        return await ReadAsync(await user.Client.SendAsync(request));
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(HttpMethod method, string path, string? hash, JsonObject? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        if (hash is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hash);
        return await ReadAsync(await service.Client.SendAsync(request));
    }

    private static async Task<(HttpStatusCode, JsonObject)> ReadAsync(HttpResponseMessage response) =>
        (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
}
