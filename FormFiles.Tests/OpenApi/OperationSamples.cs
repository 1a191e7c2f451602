using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.OpenApi;

/// <summary>
/// A sample of every documented operation: each action by GET (query) and by POST (JSON and form), with
/// parameters that succeed, then without any (a refusal); the dialects' routes with a success and a
/// refusal each. What they answer is checked by <see cref="ApiConformance"/> on the way out. Without a clock to shift
/// (a worker in its own process), nothing is left to expire.
/// </summary>
internal sealed class OperationSamples(HttpClient client, ShiftedClock? clock = null, Func<Task>? sweep = null)
{
    private static readonly RequestForm[] Forms = [RequestForm.Query, RequestForm.Json, RequestForm.Form];

    public async Task SendAllAsync()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await EachFormAsync("health", _ => []);
        await EachFormAsync("openapi.json", _ => []);

        var userId = Id(await EachFormAsync("admin/user/create", _ => new JsonObject { ["label"] = "Sample", ["quota_bytes"] = 100_000_000 }, admin: true), 0);
        await EachFormAsync("admin/user/read", _ => new JsonObject { ["user_id"] = userId }, admin: true);
        await EachFormAsync("admin/user/update", _ => new JsonObject { ["user_id"] = userId, ["rate_limit_per_second"] = 1000, ["rate_limit_burst"] = 2000 }, admin: true);
        var keys = await EachFormAsync("admin/api_key/create", _ => new JsonObject { ["user_id"] = userId, ["rights"] = new JsonArray("task_view", "task_update") }, admin: true);
        var hash = keys[0]["hash"]!.GetValue<string>();
        var user = new TestUser(userId, hash, client);
        var spareKey = await client.NewKeyAsync(userId);
        await EachFormAsync("admin/api_key/revoke", i => new JsonObject { ["hash"] = i == 0 ? spareKey : keys[i]["hash"]!.GetValue<string>() }, admin: true);
        await EachFormAsync("admin/usage/read", _ => new JsonObject { ["user_id"] = userId, ["from"] = Today(-1), ["to"] = Today(0) }, admin: true);
        await EachFormAsync("usage/read", _ => new JsonObject { ["from"] = Today(-1), ["to"] = Today(0) }, hash);

        var fields = new JsonArray(
            new JsonObject { ["id"] = "note", ["label"] = "Note", ["type"] = "text" },
            new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
            new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" },
            new JsonObject { ["id"] = "sign", ["label"] = "Signature", ["type"] = "signature" });
        var templates = await EachFormAsync("form/template/create", _ => new JsonObject { ["template"] = new JsonObject { ["label"] = "Sample", ["fields"] = fields.DeepClone() } }, hash);
        var template = Id(templates, 0);
        await EachFormAsync("form/template/read", _ => new JsonObject { ["template_id"] = template }, hash);
        await EachFormAsync("form/template/list", _ => [], hash);
        var tasks = await EachFormAsync("task/create", _ => new JsonObject { ["task"] = new JsonObject { ["label"] = "Sample", ["form_template_id"] = template }, ["create_form"] = true }, hash);
        var task = Id(tasks, 0);
        await EachFormAsync("task/read", _ => new JsonObject { ["task_id"] = task }, hash);
        await EachFormAsync("task/list", _ => new JsonObject { ["limit"] = 10 }, hash);
        await EachFormAsync("task/status/change", _ => new JsonObject { ["task_id"] = task, ["status"] = "assigned" }, hash);
        var formless = await EachFormAsync("task/create", _ => new JsonObject { ["task"] = new JsonObject { ["label"] = "Formless" } }, hash);
        await EachFormAsync("task/form/create", i => new JsonObject { ["task_id"] = Id(formless, i), ["template_id"] = template }, hash);
        await EachFormAsync("task/form/read", _ => new JsonObject { ["task_id"] = task }, hash);
        var webhooks = await EachFormAsync("webhook/create", _ => new JsonObject { ["url"] = receiver.Url.ToString(), ["events"] = new JsonArray("*") }, hash);

        // Reservations, uploads (one accepted, one rejected, one left to expire), submission in each mode.
        var photos = await EachFormAsync("task/form/file/create", _ => new JsonObject { ["task_id"] = task, ["field_id"] = "photo", ["size"] = 2000, ["filename"] = "p.jpg" }, hash);
        (await client.UploadAsync(Token(photos[0]), new MemoryStream(Uploads.JpegLike(2000)), "p.jpg")).AssertOk();
        await client.UploadAsync(Token(photos[1]), new MemoryStream(new byte[2000]), "p.jpg"); // Rejected: no image.
        await client.UploadAsync("1.2.forged", new MemoryStream(new byte[10]), "p.jpg");
        var photo = photos[0]["value"]!["file_id"]!.GetValue<long>();
        var rejected = photos[1]["value"]!["file_id"]!.GetValue<long>();
        await EachFormAsync("task/form/file/read", i => new JsonObject { ["file_id"] = i == 1 ? rejected : photo }, hash);
        await EachFormAsync("file/stats/read", _ => [], hash);
        JsonObject Values(string note) => new()
        {
            ["note"] = new JsonObject { ["type"] = "text", ["value"] = note },
            ["photo"] = new JsonObject { ["type"] = "photo", ["file_ids"] = new JsonArray(photo) },
        };
        await EachFormAsync("task/form/submit", _ => new JsonObject { ["task_id"] = task, ["values"] = Values("ok"), ["location"] = new JsonObject { ["lat"] = 52.5, ["lng"] = 13.4, ["address"] = "Berlin" } }, hash);
        await EachFormAsync("task/form/values/update", _ => new JsonObject { ["task_id"] = task, ["values"] = Values("updated") }, hash);
        await EachFormAsync("task/form/values/merge", _ => new JsonObject { ["task_id"] = task, ["values"] = new JsonObject { ["note"] = new JsonObject { ["type"] = "text", ["value"] = "merged" } } }, hash);
        var spare = new List<long>();
        foreach (var _ in Forms)
            spare.Add((await user.ReserveAsync(task, "doc", 100)).FileId);
        await EachFormAsync("task/form/file/delete", i => new JsonObject { ["file_id"] = spare[i] }, hash);

        // Attachments, then the dialects over them.
        var attachments = await EachFormAsync("task/file/create", _ => new JsonObject { ["task_id"] = task, ["size"] = 500, ["filename"] = "a.bin" }, hash);
        foreach (var attachment in attachments)
            (await client.UploadAsync(Token(attachment), new MemoryStream(new byte[500]), "a.bin")).AssertOk();
        var attachmentIds = attachments.Select(a => a["value"]!["file_id"]!.GetValue<long>()).ToList();
        await EachFormAsync("task/file/attach", i => new JsonObject { ["task_id"] = task, ["file_ids"] = new JsonArray(attachmentIds[i]) }, hash);
        await EachFormAsync("task/file/list", _ => new JsonObject { ["task_id"] = task }, hash);
        await OnlyOfficeAsync(user, task, attachmentIds[0]);
        await TallyfyAsync(user, task, template);
        await EachFormAsync("task/file/detach", i => new JsonObject { ["task_id"] = task, ["file_id"] = attachmentIds[i] }, hash);

        // Webhooks: their deliveries by now hold the events above.
        var webhook = Id(webhooks, 0);
        await EachFormAsync("webhook/list", _ => [], hash);
        await EachFormAsync("webhook/read", _ => new JsonObject { ["webhook_id"] = webhook }, hash);
        await EachFormAsync("webhook/update", _ => new JsonObject { ["webhook_id"] = webhook, ["description"] = "Sample" }, hash);
        await EachFormAsync("webhook/secret/rotate", _ => new JsonObject { ["webhook_id"] = webhook }, hash);
        var tests = await EachFormAsync("webhook/test", _ => new JsonObject { ["webhook_id"] = webhook }, hash);
        if (clock is not null && sweep is not null)
        {
            await user.ReserveAsync(task, "photo", 100); // Left to expire: the sweep, two hours on, deletes it (file.expired).
            clock.Offset = TimeSpan.FromHours(2);
            await sweep();
        }

        await receiver.WaitForAsync(received => (clock is null || received.Any(d => d.Type == "file.expired")) && received.Count(d => d.Type == "webhook.test") >= Forms.Length);
        await EachFormAsync("webhook/delivery/list", _ => new JsonObject { ["webhook_id"] = webhook }, hash);
        await EachFormAsync("webhook/delivery/retry", i => new JsonObject { ["webhook_id"] = webhook, ["event_id"] = tests[i]["event_id"]!.GetValue<string>() }, hash);
        await EachFormAsync("webhook/delete", i => new JsonObject { ["webhook_id"] = Id(webhooks, i) }, hash);

        await EachFormAsync("task/form/delete", i => new JsonObject { ["task_id"] = Id(formless, i) }, hash);
        await EachFormAsync("task/delete", i => new JsonObject { ["task_id"] = Id(tasks, i) }, hash);
        await EachFormAsync("form/template/delete", i => new JsonObject { ["template_id"] = Id(templates, i) }, hash);
    }

    /// <summary>
    /// Sends the action in each request form with the sample's parameters (<paramref name="sample"/> gets the
    /// form's index), then with none at all; returns the answers of the samples, in the order of <see cref="Forms"/>.
    /// </summary>
    private async Task<List<JsonObject>> EachFormAsync(string action, Func<int, JsonObject> sample, string? hash = null, bool admin = false)
    {
        var answers = new List<JsonObject>();
        var headers = admin ? Scenario.AdminHeaders : null;
        for (var i = 0; i < Forms.Length; i++)
        {
            var parameters = sample(i);
            if (hash is not null)
                parameters["hash"] = hash;
            answers.Add((await client.CallAsync(action, parameters, Forms[i], headers)).Body);
        }

        await client.CallAsync(action, hash is null ? [] : new JsonObject { ["hash"] = hash }, RequestForm.Json, headers);
        await client.CallAsync(action, [], RequestForm.Query, headers);
        return answers;
    }

    private static long Id(List<JsonObject> answers, int form) => answers[form]["id"]?.GetValue<long>() ?? throw new InvalidOperationException(answers[form].ToJsonString());

    private static string Token(JsonObject reservation) => reservation["value"]!["fields"]!["token"]!.GetValue<string>();

    private static string Today(int days) => DateTime.UtcNow.AddDays(days).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>ONLYOFFICE: list, attach (JSON and form bodies), detach, upload, each with a refusal beside it.</summary>
    private async Task OnlyOfficeAsync(TestUser user, long task, long attachment)
    {
        var path = $"/api/2.0/project/task/{task}/files";
        await SendAsync(HttpMethod.Get, path, user.Hash, bearer: false);
        await SendAsync(HttpMethod.Get, path, null, bearer: false);
        await SendAsync(HttpMethod.Get, $"/api/2.0/project/task/{task + 1000}/files", user.Hash, bearer: false);
        var extra = (await user.Client.CallAsync("task/file/create", new JsonObject { ["hash"] = user.Hash, ["task_id"] = task, ["size"] = 100, ["filename"] = "o.bin" })).Body;
        (await client.UploadAsync(Token(extra), new MemoryStream(new byte[100]), "o.bin")).AssertOk();
        var extraId = extra["value"]!["file_id"]!.GetValue<long>();
        await SendAsync(HttpMethod.Post, path, user.Hash, bearer: false, JsonContent(new JsonObject { ["files"] = new JsonArray(extraId) }));
        await SendAsync(HttpMethod.Post, path, user.Hash, bearer: false, JsonContent(new JsonObject { ["files"] = "nonsense" }));
        await SendAsync(HttpMethod.Delete, $"{path}?fileid={extraId}", user.Hash, bearer: false);
        await SendAsync(HttpMethod.Delete, $"{path}?fileid=x", user.Hash, bearer: false);
        var upload = new ByteArrayContent(new byte[300]);
        upload.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var uploaded = await SendAsync(HttpMethod.Post, $"/api/2.0/files/{task}/upload", user.Hash, bearer: false, new MultipartFormDataContent { { upload, "file", "u.bin" } });
        await SendAsync(HttpMethod.Post, $"/api/2.0/files/{task}/upload", user.Hash, bearer: false, new MultipartFormDataContent { { new StringContent("x"), "createNewIfExist" } });
        await SendAsync(HttpMethod.Post, $"/api/2.0/files/{task + 1000}/upload.json", user.Hash, bearer: false, new ByteArrayContent(new byte[10]));
        await SendAsync(HttpMethod.Delete, $"{path}?fileid={uploaded["response"]?["id"]}", user.Hash, bearer: false); // Not attached: 404, and it goes with the sweep.
        _ = attachment;
    }

    /// <summary>Tallyfy: upload, read, download link, task data, delete, the template's kick-off form, each with a refusal beside it.</summary>
    private async Task TallyfyAsync(TestUser user, long task, long template)
    {
        var org = user.Id;
        using var form = new MultipartFormDataContent
        {
            { new StringContent("photo"), "uploaded_from" },
            { new StringContent("Run"), "subject_type" },
            { new StringContent(task.ToString(System.Globalization.CultureInfo.InvariantCulture)), "subject_id" },
            { new StringContent("local"), "source" },
        };
        var bytes = new ByteArrayContent(Uploads.JpegLike(1000));
        bytes.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(bytes, "name", "t.jpg");
        var uploaded = await SendAsync(HttpMethod.Post, $"/organizations/{org}/file", user.Hash, bearer: true, form);
        await SendAsync(HttpMethod.Post, $"/organizations/{org}/file", user.Hash, bearer: true, new StringContent("not multipart"));
        var asset = uploaded["data"]?[0]?["id"]?.GetValue<string>() ?? throw new InvalidOperationException(uploaded.ToJsonString());
        await SendAsync(HttpMethod.Get, $"/organizations/{org}/assets/{asset}", user.Hash, bearer: true);
        await SendAsync(HttpMethod.Get, $"/organizations/{org}/assets/{asset}", null, bearer: true);
        await SendAsync(HttpMethod.Get, $"/organizations/{org}/file/{asset}", user.Hash, bearer: true);
        await SendAsync(HttpMethod.Get, $"/organizations/{org}/file/{asset}", null, bearer: true);
        await SendAsync(HttpMethod.Get, $"/organizations/{org}/file/{asset}/dl", user.Hash, bearer: true);
        await SendAsync(HttpMethod.Get, $"/organizations/{org}/file/999999/dl", user.Hash, bearer: true);
        var run = $"/organizations/{org}/runs/{task}/tasks/{task}";
        await SendAsync(HttpMethod.Put, run, user.Hash, bearer: true, JsonContent(new JsonObject { ["taskdata"] = new JsonObject { ["photo"] = new JsonArray(new JsonObject { ["id"] = asset }) } }));
        await SendAsync(HttpMethod.Put, run, user.Hash, bearer: true, JsonContent(new JsonObject { ["taskdata"] = new JsonObject { ["photo"] = new JsonArray(new JsonObject { ["id"] = "x" }) } }));
        var spare = await user.ReserveAsync(task, "doc", 100);
        await SendAsync(HttpMethod.Delete, $"/organizations/{org}/file/{spare.FileId}", user.Hash, bearer: true);
        await SendAsync(HttpMethod.Delete, $"/organizations/{org}/file/{spare.FileId}", user.Hash, bearer: true);
        var other = await user.ReserveAsync(task, "doc", 100);
        await SendAsync(HttpMethod.Delete, $"/organizations/{org}/assets/{other.FileId}", user.Hash, bearer: true);
        await SendAsync(HttpMethod.Delete, $"/organizations/{org}/assets/{other.FileId}", user.Hash, bearer: true);

        var checklist = $"/organizations/{org}/checklists/{template}";
        await SendAsync(HttpMethod.Get, checklist, user.Hash, bearer: true);
        await SendAsync(HttpMethod.Get, $"/organizations/{org}/checklists/999999", user.Hash, bearer: true);
        await SendAsync(HttpMethod.Put, checklist, user.Hash, bearer: true, JsonContent(new JsonObject { ["prerun"] = new JsonArray(new JsonObject { ["id"] = "note", ["label"] = "Note", ["value"] = "Kick-off" }) }));
        await SendAsync(HttpMethod.Put, checklist, user.Hash, bearer: true, JsonContent(new JsonObject { ["prerun"] = "note" }));
    }

    private static StringContent JsonContent(JsonObject body) => new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, string? key, bool bearer, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (key is not null)
            request.Headers.TryAddWithoutValidation("Authorization", bearer ? $"Bearer {key}" : key);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return text.Length > 0 && text[0] == '{' ? JsonNode.Parse(text)!.AsObject() : [];
    }
}
