using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Hardening;

/// <summary>
/// Property tests: generated garbage, built around each action's valid parameters (so it gets past
/// the key check and into the action), in all three request forms, as raw bytes, and as broken
/// multipart. Every answer is the envelope, never a 5xx, and an error answer changes nothing that
/// <c>file/stats/read</c>, <c>task/list</c>, <c>form/template/list</c> and <c>task/form/read</c> show.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class GarbageInputTests(ServiceFixture service)
{
    /// <summary>Requests per property, from each property's recorded seed (see <see cref="Property"/>).</summary>
    private const int Iterations = 250;

    private static readonly string[] Actions =
    [
        "form/template/create", "form/template/read", "form/template/list", "form/template/delete",
        "task/create", "task/read", "task/list", "task/delete", "task/status/change",
        "task/form/create", "task/form/read", "task/form/delete", "task/form/submit", "task/form/values/update",
        "task/form/file/create", "task/form/file/read", "task/form/file/delete", "file/stats/read",
        "admin/user/create", "admin/user/read", "admin/api_key/create", "admin/api_key/revoke",
        "usage/read", "admin/usage/read", "task/file/create", "task/file/attach", "task/file/detach", "task/file/list", "task/form/values/merge",
        "webhook/create", "webhook/list", "webhook/read", "webhook/update", "webhook/delete", "webhook/secret/rotate", "webhook/test",
        "webhook/delivery/list", "webhook/delivery/retry",
    ];

    private static readonly string[] Vocabulary =
    [
        "hash", "task_id", "field_id", "size", "filename", "metadata", "values", "location", "template", "template_id", "id",
        "task", "create_form", "status", "statuses", "offset", "limit", "external_id", "file_id", "label", "fields", "user_id",
        "quota_bytes", "rights", "lat", "lng", "type", "value", "value_index", "file_ids", "\\ud800", "",
        "url", "events", "description", "enabled", "webhook_id", "event_id", "from", "to", "rate_limit_per_second", "rate_limit_burst",
        "next",
    ];

    /// <summary>Strings clients really send: unpaired surrogates, quoted numbers, JSON in a string, bidi controls, NULs, the huge.</summary>
    private static readonly Gen<string> Hostile = Gen.OneOf(
        "\"\\ud800\"", "\"x\\udc00y\"", "\"\\udbff\\udbff\"", "\"\\ud83d\\ude00\"", "\"4\"", "\"-1\"", "\"1.5\"", "\"1e400\"", "\"\"",
        "\"9223372036854775808\"", "\"null\"", "\"true\"", "\"{\\\"a\\\":1}\"", "\"[1,2]\"", "\"inv\\u202Eexe.pdf\"", "\"\\u0000\"", "\"a/b\\\\c\"",
        "\"" + new string('x', 3000) + "\"");

    /// <summary>Strings the service gives meaning to, so that garbage reaches past the first check.</summary>
    private static readonly Gen<string> Meaningful = Gen.OneOf(
        "\"photo\"", "\"rating\"", "\"signature\"", "\"file\"", "\"text\"", "\"assigned\"", "\"done\"", "\"task_view\"", "\"2026-11-24 10:00:00\"",
        "\"9223372036854775807-evt_00000000000000000000000000000000\"", "\"0000000000000000001-\u0000\"");

    private static readonly Gen<string> Strings = Gen.Frequency(
        (4, Hostile),
        (2, Meaningful),
        (1, Gen.String[0, 12].Select(s => JsonSerializer.Serialize(s))));

    private static readonly Gen<string> Numbers = Gen.OneOf(
        "0", "-1", "1", "4", "6", "1048577", "16777217", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "1.5", "1e400", "-0", "1E2", "0.0000001", "123456789012345678901234567890");

    private static readonly Gen<string> Leaves = Gen.Frequency((4, Strings), (3, Numbers), (1, Gen.OneOf("true", "false", "null")));

    private static readonly Gen<string> Keys = Gen.OneOf(Vocabulary).Select(k => $"\"{k}\"");

    private static readonly Gen<string> Trees = Gen.Recursive<string>((depth, tree) => depth >= 3
        ? Leaves
        : Gen.Frequency(
            (5, Leaves),
            (1, tree.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (2, Gen.Select(Keys, tree).Array[0, 4].Select(Object)),
            (2, ValueObjects(tree))));

    /// <summary>Navixy value objects with a field id and type that mostly make sense, and contents that mostly do not.</summary>
    private static Gen<string> ValueObjects(Gen<string> tree) =>
        Gen.Select(
            Gen.OneOf("name", "checks", "size", "mood", "when", "stars", "doc", "photo", "sign", "sep", "nope"),
            Gen.OneOf("text", "checkbox_group", "dropdown", "radio_group", "date", "rating", "file", "photo", "signature", "x"),
            Gen.OneOf("value", "values", "value_index", "file_ids", "file_id"),
            tree,
            (field, type, key, value) => $$$"""{"{{{field}}}": {"type": "{{{type}}}", "{{{key}}}": {{{value}}}}}""");

    private enum Form
    {
        Json,
        FormBody,
        Query,
    }

    /// <param name="Target">Which valid parameter a "break" replaces (drawn, so that the seed decides it).</param>
    private sealed record Mutation(int Kind, string Key, string Value, int Target)
    {
        public override string ToString() => $"{(Kind == 0 ? "set" : Kind == 1 ? "break" : "drop")} {Key}: {Value}";
    }

    private sealed record Garbage(string Action, Form Form, Mutation[] Mutations, bool KeepHash)
    {
        public override string ToString() => $"{Form} {Action}{(KeepHash ? "" : " without hash")}: {string.Join("; ", Mutations.Select(m => m.ToString()))}";
    }

    private static readonly Gen<Garbage> Requests = Gen.Select(
        Gen.OneOf(Actions),
        Gen.OneOf(Form.Json, Form.FormBody, Form.Query),
        Gen.Select(Gen.Int[0, 2], Keys, Trees, Gen.Int[0, 1000], (kind, key, value, target) => new Mutation(kind, key, value, target)).Array[1, 3],
        Gen.Frequency((9, Gen.Const(true)), (1, Gen.Const(false))),
        (action, form, mutations, keepHash) => new Garbage(action, form, mutations, keepHash));

    private static string Object(IEnumerable<(string Key, string Value)> pairs) => "{" + string.Join(",", pairs.Select(p => $"{p.Key}:{p.Value}")) + "}";

    [Fact]
    public async Task Generated_garbage_parameters_in_every_request_form_never_give_a_5xx_and_errors_change_nothing()
    {
        var world = await World.CreateAsync(service.Client);

        await Requests.CheckAsync(async garbage =>
        {
            var parameters = world.Baseline(garbage.Action);
            if (!garbage.KeepHash)
                parameters.Remove("\"hash\"");
            foreach (var mutation in garbage.Mutations)
            {
                switch (mutation.Kind)
                {
                    case 0: // Replace (or add) a parameter.
                        parameters[mutation.Key] = mutation.Value;
                        break;
                    case 1: // Break one of the valid ones.
                        if (parameters.Count > 0)
                            parameters[parameters.Keys.ElementAt(mutation.Target % parameters.Count)] = mutation.Value;
                        break;
                    default: // Drop one.
                        parameters.Remove(mutation.Key);
                        break;
                }
            }

            await world.AssertHarmlessAsync(Build(garbage.Action, garbage.Form, parameters, world.AdminHeaders(garbage.Action)));
        }, seed: "0000001dmsRLX1", Iterations);
    }

    /// <summary>
    /// admin/user/update on a user of its own (garbage user ids would change other tests' users): no 5xx,
    /// and an error leaves the user as it was.
    /// </summary>
    [Fact]
    public async Task Generated_user_updates_never_give_a_5xx_and_errors_change_nothing()
    {
        var user = await service.Client.NewUserAsync();
        var updates = Gen.Select(
            Gen.OneOf(Form.Json, Form.FormBody, Form.Query),
            Gen.Select(Gen.OneOf("\"quota_bytes\"", "\"rate_limit_per_second\"", "\"rate_limit_burst\"", "\"label\""), Trees).Array[1, 3]);

        await updates.CheckAsync(async update =>
        {
            var (form, pairs) = update;
            var parameters = new Dictionary<string, string> { ["\"user_id\""] = user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            foreach (var (key, value) in pairs)
                parameters[key] = value;
            var before = (await service.Client.AdminAsync("admin/user/read", new JsonObject { ["user_id"] = user.Id })).AssertOk().Raw;

            var request = Build("admin/user/update", form, parameters, Scenario.AdminHeaders);
            var response = await service.Client.SendAsync(request);
            var raw = await response.Content.ReadAsStringAsync();

            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode}: {raw}");
            if (Infrastructure.Requests.RefusedForItsRequestLine(request, service.Client.BaseAddress!, response, raw) || !JsonNode.Parse(raw)!["success"]!.GetValue<bool>())
                Assert.Equal(before, (await service.Client.AdminAsync("admin/user/read", new JsonObject { ["user_id"] = user.Id })).AssertOk().Raw);
        }, seed: "0000002qIVFuT3", Iterations, regressions: "fU6LOA44vHo3");
    }

    /// <summary>The dialects' routes with generated paths, methods, headers and bodies: no 5xx, and an error changes nothing.</summary>
    [Fact]
    public async Task Generated_dialect_requests_never_give_a_5xx_and_errors_change_nothing()
    {
        var world = await World.CreateAsync(service.Client);
        var ids = Gen.OneOf(world.TaskId.ToString(System.Globalization.CultureInfo.InvariantCulture), world.User.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "0", "-1", "x", "", "..", "9223372036854775808", "%20", new string('9', 300));
        var paths = Gen.OneOf(
            ids.Select(id => $"/api/2.0/project/task/{id}/files"),
            Gen.Select(ids, Gen.OneOf(Numbers, Strings), (id, file) => $"/api/2.0/project/task/{id}/files?fileid={Uri.EscapeDataString(file)}"),
            ids.Select(id => $"/api/2.0/files/{id}/upload"),
            ids.Select(id => $"/api/2.0/files/{id}/upload.json"),
            Gen.Select(ids, ids, (org, checklist) => $"/organizations/{org}/checklists/{checklist}"),
            Gen.Select(ids, ids, (org, rest) => $"/organizations/{org}/file/{rest}"),
            Gen.Select(ids, ids, (org, rest) => $"/organizations/{org}/file/{rest}/dl"),
            Gen.Select(ids, ids, (org, rest) => $"/organizations/{org}/assets/{rest}"),
            ids.Select(org => $"/organizations/{org}/file"),
            ids.Select(org => $"/api/organizations/{org}/file"),
            Gen.Select(ids, ids, (run, task) => $"/organizations/{world.User.Id}/runs/{run}/tasks/{task}"));
        var bodies = Gen.Frequency(
            (3, Trees.Select(Encoding.UTF8.GetBytes)),
            (2, Trees.Select(t => Encoding.UTF8.GetBytes($"{{\"taskdata\": {t}, \"files\": {t}}}"))),
            (1, Gen.Byte.Array[0, 300]));
        var requests = Gen.Select(
            paths,
            Gen.OneOf("GET", "POST", "PUT", "DELETE"),
            Gen.OneOf("application/json", "multipart/form-data; boundary=b", "text/plain", "application/x-www-form-urlencoded"),
            Gen.OneOf(world.User.Hash, "Bearer " + world.User.Hash, "Bearer x", "", "NVX " + world.User.Hash),
            bodies);

        await requests.CheckAsync(async generated =>
        {
            var (path, method, contentType, authorization, body) = generated;
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT")
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }

            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            await world.AssertDialectHarmlessAsync(request);
        }, seed: "0000003E3mtdP5", Iterations);
    }

    [Fact]
    public async Task Generated_random_bodies_never_give_a_5xx_and_change_nothing()
    {
        var world = await World.CreateAsync(service.Client);
        var bodies = Gen.Select(
            Gen.OneOf(Actions.Append("task/form/file/upload").ToArray()),
            Gen.OneOf("application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b", "text/plain", "application/json; charset=latin1"),
            Gen.Frequency((3, Gen.Byte.Array[0, 400]), (1, Trees.Select(Encoding.UTF8.GetBytes))));

        await bodies.CheckAsync(async generated =>
        {
            var (action, contentType, body) = generated;
            var content = new ByteArrayContent(body);
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/{action}?hash={world.User.Hash}") { Content = content };
            await world.AssertHarmlessAsync(request);
        }, seed: "0000004RpPhYK7", Iterations);
    }

    [Fact]
    public async Task Generated_broken_multipart_uploads_never_give_a_5xx_and_change_nothing()
    {
        var world = await World.CreateAsync(service.Client);
        var token = (await world.User.ReserveAsync(world.TaskId, "doc", 100)).Token;
        var parts = Gen.Select(
            Gen.OneOf("b", "other", new string('q', 71), "\"quoted\"", "", "b; x=y"),
            Gen.OneOf(0, 0, 10, 20_000),
            Gen.OneOf($"Content-Disposition: form-data; name=\"token\"\r\n\r\n{token}", "Content-Disposition form-data name token\r\n\r\nx",
                "Content-Disposition: form-data; name=\"token\"\r\n\r\n1.2.3", "X-Other: 1\r\n\r\n" + token, "Content-Disposition: form-data; name=\"token\"\r\n" + new string('h', 20_000)),
            Gen.OneOf("Content-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n", "Content-Disposition: form-data; name=\"file\"\r\n\r\n",
                "Content-Disposition: attachment\r\n\r\n", "Content-Disposition: form-data; name=\"file\"; filename=\"inv\u202Eexe.pdf\"\r\n\r\n", ""),
            Gen.Byte.Array[0, 300],
            Gen.OneOf("\r\n--b--\r\n", "\r\n--b", "", "\r\n--other--\r\n"));

        await parts.CheckAsync(async generated =>
        {
            var (boundary, preamble, tokenPart, fileHeaders, fileBytes, end) = generated;
            var body = new MemoryStream();
            body.Write(Encoding.UTF8.GetBytes(new string('p', preamble) + "\r\n--b\r\n" + tokenPart + "\r\n--b\r\n" + fileHeaders));
            body.Write(fileBytes);
            body.Write(Encoding.UTF8.GetBytes(end));
            var content = new ByteArrayContent(body.ToArray());
            content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");
            // A well-formed upload whose content breaks the field's rules is judged: rejected is a state of its own (7), not garbage.
            await world.AssertHarmlessAsync(new HttpRequestMessage(HttpMethod.Post, "/v2/task/form/file/upload") { Content = content }, judged: "was rejected");
        }, seed: "00000062Mg5HG9", Iterations);
    }

    private static HttpRequestMessage Build(string action, Form form, Dictionary<string, string> parameters, IReadOnlyDictionary<string, string> headers)
    {
        var request = form switch
        {
            Form.Json => new HttpRequestMessage(HttpMethod.Post, $"/v2/{action}")
            {
                Content = new StringContent(Object(parameters.Select(p => (p.Key, p.Value))), Encoding.UTF8, "application/json"),
            },
            Form.FormBody => new HttpRequestMessage(HttpMethod.Post, $"/v2/{action}") { Content = new FormUrlEncodedContent(TextFields(parameters)) },
            _ => new HttpRequestMessage(HttpMethod.Get, $"/v2/{action}?{Infrastructure.Requests.Query(TextFields(parameters))}"),
        };
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    /// <summary>Form and query values: a JSON string's text (or its raw JSON when it does not decode), anything else as its JSON text.</summary>
    private static IEnumerable<KeyValuePair<string, string>> TextFields(Dictionary<string, string> parameters) =>
        parameters.Select(p => KeyValuePair.Create(Text(p.Key), Text(p.Value)));

    private static string Text(string json)
    {
        if (!json.StartsWith('"'))
            return json;
        try
        {
            return JsonSerializer.Deserialize<string>(json) ?? string.Empty;
        }
        catch (JsonException)
        {
            return json;
        }
    }

    /// <summary>One user's objects that every action's valid parameters point at, and the checks every answer must pass.</summary>
    private sealed class World(TestUser user, long taskId, long spareTaskId, long templateId, long fileId, long reservationId, string spareHash, long webhookId, long spareWebhookId)
    {
        public TestUser User { get; } = user;

        public long TaskId { get; } = taskId;

        public static async Task<World> CreateAsync(HttpClient client)
        {
            var user = await client.NewUserAsync();
            var template = await user.CreateTemplateAsync(TestUser.EveryFieldType());
            var task = await user.CreateTaskAsync(template);
            var spareTask = await user.CreateTaskAsync(template);
            var photo = await user.ReserveAsync(task, "photo", 100);
            (await photo.UploadAsync(Uploads.JpegLike(100), "p.jpg")).AssertOk();
            var reserved = await user.ReserveAsync(spareTask, "doc", 100);
            async Task<long> WebhookAsync() => (await user.CallAsync("webhook/create", new JsonObject { ["url"] = "https://hooks.invalid/garbage", ["events"] = new JsonArray("*") }))
                .AssertOk().Body["id"]!.GetValue<long>();
            return new World(user, task, spareTask, template, photo.FileId, reserved.FileId, await client.NewKeyAsync(user.Id), await WebhookAsync(), await WebhookAsync());
        }

        /// <summary>Valid parameters of <paramref name="action"/> (keys and values as JSON text); the destructive ones aim at spare objects.</summary>
        public Dictionary<string, string> Baseline(string action)
        {
            var p = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!action.StartsWith("admin/", StringComparison.Ordinal))
                p["\"hash\""] = $"\"{User.Hash}\"";
            void Set(string key, object value) => p[$"\"{key}\""] = JsonSerializer.Serialize(value);
            switch (action)
            {
                case "form/template/create":
                    p["\"template\""] = new JsonObject { ["label"] = "T", ["fields"] = TestUser.EveryFieldType() }.ToJsonString();
                    break;
                case "form/template/read" or "form/template/delete" or "admin/user/read":
                    Set(action == "admin/user/read" ? "user_id" : "template_id", action == "admin/user/read" ? User.Id : templateId);
                    break;
                case "task/create":
                    p["\"task\""] = """{"label": "Garbage", "external_id": "g"}""";
                    break;
                case "task/read" or "task/form/read":
                    Set("task_id", TaskId);
                    break;
                case "task/delete" or "task/form/delete":
                    Set("task_id", spareTaskId);
                    break;
                case "task/status/change":
                    Set("task_id", spareTaskId);
                    Set("status", "assigned");
                    break;
                case "task/form/create":
                    Set("task_id", spareTaskId);
                    Set("template_id", templateId);
                    break;
                case "task/form/submit" or "task/form/values/update" or "task/form/values/merge":
                    Set("task_id", TaskId);
                    p["\"values\""] = $$$"""{"name": {"type": "text", "value": "Ann"}, "sign": {"type": "signature", "file_id": {{{fileId}}}}, "photo": {"type": "photo", "file_ids": [{{{fileId}}}]}}""";
                    break;
                case "task/form/file/create":
                    Set("task_id", TaskId);
                    Set("field_id", "photo");
                    Set("size", 10);
                    Set("filename", "a.jpg");
                    p["\"metadata\""] = """{"camera": "rear"}""";
                    break;
                case "task/form/file/read":
                    Set("file_id", fileId);
                    break;
                case "task/form/file/delete":
                    Set("file_id", reservationId);
                    break;
                case "admin/user/create":
                    Set("label", "Garbage Ltd");
                    break;
                case "task/file/create":
                    Set("task_id", TaskId);
                    Set("size", 10);
                    Set("filename", "a.bin");
                    break;
                case "task/file/list":
                    Set("task_id", TaskId);
                    break;
                case "task/file/attach":
                    Set("task_id", TaskId);
                    p["\"file_ids\""] = $"[{fileId}]";
                    break;
                case "task/file/detach":
                    Set("task_id", TaskId);
                    Set("file_id", reservationId);
                    break;
                case "usage/read" or "admin/usage/read":
                    if (action == "admin/usage/read")
                        Set("user_id", User.Id);
                    Set("from", "2026-11-01");
                    Set("to", "2026-11-30");
                    break;
                case "admin/api_key/create":
                    Set("user_id", User.Id);
                    p["\"rights\""] = """["task_view"]""";
                    break;
                case "admin/api_key/revoke":
                    Set("hash", spareHash);
                    break;
                case "webhook/create":
                    Set("url", "https://hooks.invalid/new");
                    p["\"events\""] = """["file.uploaded", "form.submitted"]""";
                    Set("description", "garbage");
                    break;
                case "webhook/read" or "webhook/secret/rotate" or "webhook/test" or "webhook/delivery/list":
                    Set("webhook_id", webhookId);
                    break;
                case "webhook/update":
                    Set("webhook_id", webhookId);
                    Set("enabled", true);
                    p["\"events\""] = """["*"]""";
                    break;
                case "webhook/delete":
                    Set("webhook_id", spareWebhookId);
                    break;
                case "webhook/delivery/retry":
                    Set("webhook_id", webhookId);
                    Set("event_id", "msg_" + new string('0', 32));
                    break;
            }

            return p;
        }

        public IReadOnlyDictionary<string, string> AdminHeaders(string action) =>
            action.StartsWith("admin/", StringComparison.Ordinal) ? Scenario.AdminHeaders : new Dictionary<string, string>();

        /// <summary>The request gets the envelope and no 5xx; an error answer leaves the user's state as it was.</summary>
        /// <param name="judged">Text of an error answer that reports a real outcome (which may change state), not refused input.</param>
        public async Task AssertHarmlessAsync(HttpRequestMessage request, string? judged = null)
        {
            var before = await SnapshotAsync();
            var described = $"{request.Method} {request.RequestUri}";
            var response = await User.Client.SendAsync(request);
            var raw = await response.Content.ReadAsStringAsync();

            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {described}: {raw}");
            if (!Infrastructure.Requests.RefusedForItsRequestLine(request, User.Client.BaseAddress!, response, raw))
            {
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                var body = JsonNode.Parse(raw)!.AsObject();
                if (body["success"]!.GetValue<bool>())
                    return;
                Assert.True(body["status"]!["code"]!.GetValue<int>() > 0, raw);
                Assert.False(string.IsNullOrEmpty(body["status"]!["description"]!.GetValue<string>()), raw);
                if (judged is not null && body["status"]!["description"]!.GetValue<string>().Contains(judged, StringComparison.Ordinal))
                    return;
            }

            var after = await SnapshotAsync();
            Assert.True(JsonNode.DeepEquals(before, after), $"{described} answered {raw} but changed {before.ToJsonString()} into {after.ToJsonString()}");
        }

        /// <summary>A dialect's answer: below 500, JSON (or a redirect), and an error leaves everything as it was.</summary>
        public async Task AssertDialectHarmlessAsync(HttpRequestMessage request)
        {
            var before = await SnapshotAsync();
            var described = $"{request.Method} {request.RequestUri}";
            using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = User.Client.BaseAddress };
            var response = await noRedirect.SendAsync(request);
            var raw = await response.Content.ReadAsStringAsync();

            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {described}: {raw}");
            if ((int)response.StatusCode is >= 300 and < 400)
                return;
            if (!Infrastructure.Requests.RefusedForItsRequestLine(request, noRedirect.BaseAddress!, response, raw))
            {
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(JsonNode.Parse(raw));
                if (response.IsSuccessStatusCode)
                    return;
            }

            var after = await SnapshotAsync();
            Assert.True(JsonNode.DeepEquals(before, after), $"{described} answered {raw} but changed {before.ToJsonString()} into {after.ToJsonString()}");
        }

        private async Task<JsonNode> SnapshotAsync()
        {
            // Garbage may well delete this task (its id is a small number): then the 201 is the snapshot.
            var form = (await User.CallAsync("task/form/read", new JsonObject { ["task_id"] = TaskId })).Body;
            foreach (var file in form["files"]?.AsArray() ?? [])
                file!.AsObject().Remove("download_url"); // A fresh signature on every read.
            return new JsonObject
            {
                ["stats"] = (await User.CallAsync("file/stats/read")).AssertOk().Body.DeepClone(),
                ["tasks"] = (await User.CallAsync("task/list")).AssertOk().Body.DeepClone(),
                ["templates"] = (await User.CallAsync("form/template/list")).AssertOk().Body.DeepClone(),
                ["webhooks"] = (await User.CallAsync("webhook/list")).AssertOk().Body.DeepClone(),
                ["form"] = form.DeepClone(),
            };
        }
    }
}
