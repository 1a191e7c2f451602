using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FormFiles.Tests.Hardening;

/// <summary>
/// A pay-per-call service is only as fair as its most expensive call: every action, taken from the served OpenAPI
/// document so that none is forgotten, costs a user with a lot of data (10,000 tasks under one external id, 1,000
/// templates (the cap, less two), 10,000 webhook deliveries) no more storage requests than the bound stated here, the same bound as a
/// user with almost nothing; and no answer is larger than <see cref="MaxAnswerBytes"/> (docs/api.md, "Limits").
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class CostPerCallTests(ServiceFixture service, ITestOutputHelper output)
{
    /// <summary>The largest answer the service builds (docs/api.md): a page of 10,000 tasks, or of 50 templates of 64 KiB.</summary>
    public const int MaxAnswerBytes = 4 * 1024 * 1024;

    private const string ExternalId = "fleet-7";

    /// <summary>Two short of the cap: the calls below add one and make one more to delete.</summary>
    private const int TemplatesBehind = FormFiles.Templates.TemplateStore.MaxPerUser - 2;

    /// <summary>
    /// The storage requests one call of each action may cost, whatever data is behind it: what the call needs, and two
    /// more for its key's lookup (a key is read again every four seconds). A list reads at most 10 pages of 1,000 keys.
    /// </summary>
    private static readonly Dictionary<string, int> Bounds = new()
    {
        ["health"] = 32, // One probe (storage, sweep, backlogs) answers every call of its two seconds.
        ["openapi.json"] = 0,
        ["admin/user/create"] = 3,
        ["admin/user/read"] = 3,
        ["admin/user/update"] = 4,
        ["admin/api_key/create"] = 4,
        ["admin/api_key/revoke"] = 4,
        ["admin/usage/read"] = 4,
        ["usage/read"] = 5,
        ["usage/read {92 days}"] = 5,
        ["admin/usage/read {92 days}"] = 4,
        ["form/template/create"] = 6,
        ["form/template/read"] = 3,
        ["form/template/list"] = 3,
        ["form/template/list {next}"] = 3,
        ["form/template/delete"] = 5,
        ["task/create"] = 9,
        ["task/read"] = 3,
        ["task/list"] = 4,
        ["task/list {external_id, limit: 1}"] = 4,
        ["task/list {external_id, statuses}"] = 4,
        ["task/list {next}"] = 4,
        ["task/list {offset: 9000}"] = 13,
        ["task/list {from, to}"] = 24, // The window's count and the page each scan at most 10 pages of 1,000 rows.
        ["task/list {limit: null}"] = 15,
        ["task/delete"] = 12,
        ["task/status/change"] = 10,
        ["task/form/create"] = 5,
        ["task/form/read"] = 4,
        ["task/form/delete"] = 5,
        ["task/form/file/create"] = 10,
        ["task/form/file/upload"] = 22,
        ["task/form/file/read"] = 3,
        ["file/download"] = 3,
        ["task/form/file/delete"] = 18,
        ["file/stats/read"] = 5,
        ["task/file/create"] = 6,
        ["task/file/attach"] = 6,
        ["task/file/detach"] = 14,
        ["task/file/list"] = 6,
        ["task/form/submit"] = 6,
        ["task/form/values/update"] = 6,
        ["task/form/values/merge"] = 6,
        ["webhook/create"] = 4,
        ["webhook/list"] = 3,
        ["webhook/read"] = 3,
        ["webhook/update"] = 4,
        ["webhook/delete"] = 7,
        ["webhook/secret/rotate"] = 4,
        ["webhook/test"] = 6,
        ["webhook/delivery/list"] = 4,
        ["webhook/delivery/list {next}"] = 4,
        ["webhook/delivery/retry"] = 7,
    };

    [Fact]
    public async Task Every_action_costs_a_user_with_a_lot_of_data_what_it_costs_one_with_nothing()
    {
        var counter = new CallStorageRequests();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = new FormFilesFactory(
            new Dictionary<string, string?>(ServiceFixture.FastWebhooks)
            {
                ["FormFiles:Storage:ConnectionString"] = service.NewStorage().ConnectionString,
                ["FormFiles:AdminKey"] = Scenario.AdminKey,
                ["FormFiles:SweepInterval"] = "1.00:00:00",
                ["FormFiles:Webhooks:AllowPrivateTargets"] = "true",
            },
            counter.AddTo);
        var client = host.CreateClient();
        var calls = Calls();

        // Every action the document serves has its call here (a new action fails this until it is given one).
        var document = JsonNode.Parse(await client.GetStringAsync("/v2/openapi.json"))!;
        var served = document["paths"]!.AsObject().Select(p => p.Key).Where(p => p.StartsWith("/v2/", StringComparison.Ordinal)).Select(p => p["/v2/".Length..]).Order().ToList();
        Assert.Equal(served, calls.Keys.Select(k => k.Split(' ')[0]).Distinct().Order().ToList());
        Assert.Equal(Bounds.Keys.Order(), calls.Keys.Order());

        var small = await World.CreateAsync(client, receiver, tasks: 1, templates: 1, deliveries: 1);
        var big = await World.CreateAsync(client, receiver, tasks: 10_000, templates: TemplatesBehind, deliveries: 10_000);

        var largest = 0L;
        var failures = new List<string>();
        foreach (var (name, call) in calls)
        {
            var costs = new List<long>();
            foreach (var world in new[] { small, big })
            {
                using var request = await call(world);
                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsByteArrayAsync();
                Assert.True(response.IsSuccessStatusCode && !System.Text.Encoding.UTF8.GetString(body).StartsWith("{\"success\":false", StringComparison.Ordinal),
                    $"{name}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body[..Math.Min(body.Length, 300)])}");
                costs.Add(CallStorageRequests.Of(response));
                largest = Math.Max(largest, body.Length);
            }

            output.WriteLine($"{name,-40} {costs[0],3} {costs[1],3} (bound {Bounds[name]})");
            if (costs.Any(c => c > Bounds[name]))
                failures.Add($"{name}: {costs[0]} storage requests with little data, {costs[1]} with a lot; the bound is {Bounds[name]}");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        output.WriteLine($"largest answer: {largest} bytes");
        Assert.InRange(largest, 1_000_000, MaxAnswerBytes); // The 10,000 tasks of an unpaged list are the largest; they fit.
    }

    private static HttpRequestMessage Post(World world, string action, JsonObject? parameters = null)
    {
        var body = parameters ?? [];
        body["hash"] = world.User.Hash;
        return new HttpRequestMessage(HttpMethod.Post, "/v2/" + action) { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
    }

    private static HttpRequestMessage Admin(string action, JsonObject parameters)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v2/" + action) { Content = new StringContent(parameters.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Admin-Key", Scenario.AdminKey);
        return request;
    }

    private static JsonObject TextValues(string text) => new() { ["name"] = new JsonObject { ["type"] = "text", ["value"] = text } };

    /// <summary>Each action's call (a few twice, with the parameters whose cost could grow), made ready on the world it runs in; what it needs is made first, uncounted.</summary>
    private static Dictionary<string, Func<World, Task<HttpRequestMessage>>> Calls()
    {
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var longAgo = DateTime.UtcNow.AddDays(1 - FormFiles.Usage.UsageRange.MaxDays).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return new()
        {
            ["health"] = _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, "/v2/health")),
            ["openapi.json"] = _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, "/v2/openapi.json")),
            ["admin/user/create"] = _ => Task.FromResult(Admin("admin/user/create", new JsonObject { ["label"] = "another" })),
            ["admin/user/read"] = w => Task.FromResult(Admin("admin/user/read", new JsonObject { ["user_id"] = w.User.Id })),
            ["admin/user/update"] = w => Task.FromResult(Admin("admin/user/update", new JsonObject { ["user_id"] = w.User.Id, ["quota_bytes"] = 1L << 40 })),
            ["admin/api_key/create"] = w => Task.FromResult(Admin("admin/api_key/create", new JsonObject { ["user_id"] = w.User.Id, ["rights"] = new JsonArray("task_view") })),
            ["admin/api_key/revoke"] = async w =>
            {
                var key = (await w.User.Client.AdminAsync("admin/api_key/create", new JsonObject { ["user_id"] = w.User.Id, ["rights"] = new JsonArray("task_view") })).AssertOk().Body["hash"]!.GetValue<string>();
                return Admin("admin/api_key/revoke", new JsonObject { ["hash"] = key });
            },
            ["admin/usage/read"] = w => Task.FromResult(Admin("admin/usage/read", new JsonObject { ["user_id"] = w.User.Id, ["from"] = today, ["to"] = today })),
            ["usage/read"] = w => Task.FromResult(Post(w, "usage/read", new JsonObject { ["from"] = today, ["to"] = today })),
            ["usage/read {92 days}"] = w => Task.FromResult(Post(w, "usage/read", new JsonObject { ["from"] = longAgo, ["to"] = today })),
            ["admin/usage/read {92 days}"] = w => Task.FromResult(Admin("admin/usage/read", new JsonObject { ["user_id"] = w.User.Id, ["from"] = longAgo, ["to"] = today })),
            ["form/template/create"] = w => Task.FromResult(Post(w, "form/template/create", new JsonObject { ["template"] = World.Template("one more") })),
            ["form/template/read"] = w => Task.FromResult(Post(w, "form/template/read", new JsonObject { ["template_id"] = w.TemplateId })),
            ["form/template/list"] = w => Task.FromResult(Post(w, "form/template/list")),
            ["form/template/list {next}"] = w => Task.FromResult(Post(w, "form/template/list", new JsonObject { ["next"] = w.TemplateId })),
            ["form/template/delete"] = async w => Post(w, "form/template/delete", new JsonObject { ["template_id"] = await w.User.CreateTemplateAsync(World.Fields(), "to delete") }),
            ["task/create"] = w => Task.FromResult(Post(w, "task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = "one more", ["external_id"] = ExternalId } })),
            ["task/read"] = w => Task.FromResult(Post(w, "task/read", new JsonObject { ["task_id"] = w.TaskId })),
            ["task/list"] = w => Task.FromResult(Post(w, "task/list", new JsonObject { ["limit"] = 20 })),
            ["task/list {external_id, limit: 1}"] = w => Task.FromResult(Post(w, "task/list", new JsonObject { ["external_id"] = ExternalId, ["limit"] = 1 })),
            ["task/list {external_id, statuses}"] = w => Task.FromResult(Post(w, "task/list", new JsonObject { ["external_id"] = ExternalId, ["statuses"] = new JsonArray("unassigned"), ["limit"] = 20 })),
            ["task/list {next}"] = w => Task.FromResult(Post(w, "task/list", new JsonObject { ["next"] = w.DeepTaskId, ["limit"] = 20 })),
            ["task/list {offset: 9000}"] = w => Task.FromResult(Post(w, "task/list", new JsonObject { ["offset"] = 9000, ["limit"] = 20 })),
            ["task/list {from, to}"] = w => Task.FromResult(Post(w, "task/list", new JsonObject { ["from"] = "2026-01-01 00:00:00", ["to"] = "2026-01-02 00:00:00", ["limit"] = 20 })),
            ["task/list {limit: null}"] = w => Task.FromResult(Post(w, "task/list", new JsonObject { ["limit"] = null })),
            ["task/delete"] = async w => Post(w, "task/delete", new JsonObject { ["task_id"] = await w.User.CreateTaskAsync(w.TemplateId, externalId: ExternalId) }),
            ["task/status/change"] = async w => Post(w, "task/status/change", new JsonObject { ["task_id"] = await w.User.CreateTaskAsync(externalId: ExternalId), ["status"] = "assigned" }),
            ["task/form/create"] = async w => Post(w, "task/form/create", new JsonObject { ["task_id"] = await w.User.CreateTaskAsync(), ["template_id"] = w.TemplateId }),
            ["task/form/read"] = w => Task.FromResult(Post(w, "task/form/read", new JsonObject { ["task_id"] = w.TaskId })),
            ["task/form/delete"] = async w => Post(w, "task/form/delete", new JsonObject { ["task_id"] = await w.User.CreateTaskAsync(w.TemplateId) }),
            ["task/form/file/create"] = async w => Post(w, "task/form/file/create", new JsonObject { ["task_id"] = await w.User.CreateTaskAsync(w.TemplateId), ["field_id"] = "doc", ["size"] = 100 }),
            ["task/form/file/upload"] = async w =>
            {
                var reservation = await w.User.ReserveAsync(await w.User.CreateTaskAsync(w.TemplateId), "doc", 100);
                var form = new MultipartFormDataContent { { new StringContent(reservation.Token), "token" } };
                var file = new ByteArrayContent(new byte[60]);
                file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                form.Add(file, "file", "notes.txt");
                return new HttpRequestMessage(HttpMethod.Post, "/v2/task/form/file/upload") { Content = form };
            },
            ["task/form/file/read"] = w => Task.FromResult(Post(w, "task/form/file/read", new JsonObject { ["file_id"] = w.UploadedFileId })),
            ["file/download"] = w => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, w.DownloadUrl) { Headers = { { "Accept", "application/json" } } }),
            ["task/form/file/delete"] = async w => Post(w, "task/form/file/delete", new JsonObject { ["file_id"] = (await w.User.ReserveAsync(await w.User.CreateTaskAsync(w.TemplateId), "doc", 100)).FileId }),
            ["file/stats/read"] = w => Task.FromResult(Post(w, "file/stats/read")),
            ["task/file/create"] = async w => Post(w, "task/file/create", new JsonObject { ["task_id"] = await w.User.CreateTaskAsync(), ["size"] = 10 }),
            ["task/file/attach"] = async w =>
            {
                var (task, file) = await w.UploadedAttachmentAsync();
                return Post(w, "task/file/attach", new JsonObject { ["task_id"] = task, ["file_ids"] = new JsonArray(file) });
            },
            ["task/file/detach"] = async w =>
            {
                var (task, file) = await w.UploadedAttachmentAsync();
                (await w.User.CallAsync("task/file/attach", new JsonObject { ["task_id"] = task, ["file_ids"] = new JsonArray(file) })).AssertOk();
                return Post(w, "task/file/detach", new JsonObject { ["task_id"] = task, ["file_id"] = file });
            },
            ["task/file/list"] = w => Task.FromResult(Post(w, "task/file/list", new JsonObject { ["task_id"] = w.TaskId })),
            ["task/form/submit"] = async w => Post(w, "task/form/submit", new JsonObject { ["task_id"] = await w.User.CreateTaskAsync(w.TemplateId), ["values"] = TextValues("Ann") }),
            ["task/form/values/update"] = async w => Post(w, "task/form/values/update", new JsonObject { ["task_id"] = await w.SubmittedTaskAsync(), ["values"] = TextValues("Bea") }),
            ["task/form/values/merge"] = async w => Post(w, "task/form/values/merge", new JsonObject { ["task_id"] = await w.SubmittedTaskAsync(), ["values"] = TextValues("Cai") }),
            ["webhook/create"] = w => Task.FromResult(Post(w, "webhook/create", new JsonObject { ["url"] = w.Receiver.Url.AbsoluteUri, ["events"] = new JsonArray("file.uploaded") })),
            ["webhook/list"] = w => Task.FromResult(Post(w, "webhook/list")),
            ["webhook/read"] = w => Task.FromResult(Post(w, "webhook/read", new JsonObject { ["webhook_id"] = w.WebhookId })),
            ["webhook/update"] = w => Task.FromResult(Post(w, "webhook/update", new JsonObject { ["webhook_id"] = w.WebhookId, ["description"] = "renamed" })),
            ["webhook/delete"] = async w =>
            {
                var created = (await w.User.CallAsync("webhook/create", new JsonObject { ["url"] = w.Receiver.Url.AbsoluteUri, ["events"] = new JsonArray("file.uploaded") })).AssertOk();
                return Post(w, "webhook/delete", new JsonObject { ["webhook_id"] = created.Body["id"]!.GetValue<long>() });
            },
            ["webhook/secret/rotate"] = w => Task.FromResult(Post(w, "webhook/secret/rotate", new JsonObject { ["webhook_id"] = w.WebhookId })),
            ["webhook/test"] = w => Task.FromResult(Post(w, "webhook/test", new JsonObject { ["webhook_id"] = w.WebhookId })),
            ["webhook/delivery/list"] = w => Task.FromResult(Post(w, "webhook/delivery/list", new JsonObject { ["webhook_id"] = w.WebhookId, ["limit"] = 100 })),
            ["webhook/delivery/list {next}"] = async w =>
            {
                var first = (await w.User.CallAsync("webhook/delivery/list", new JsonObject { ["webhook_id"] = w.WebhookId, ["limit"] = 1 })).AssertOk();
                return Post(w, "webhook/delivery/list", new JsonObject { ["webhook_id"] = w.WebhookId, ["limit"] = 100, ["next"] = first.Body["next"]?.DeepClone() });
            },
            ["webhook/delivery/retry"] = w => Task.FromResult(Post(w, "webhook/delivery/retry", new JsonObject { ["webhook_id"] = w.WebhookId, ["event_id"] = w.FirstEventId })),
        };
    }

    /// <summary>One user and what it owns: a template, a task with a form and an uploaded file, a webhook, and as much more as asked.</summary>
    private sealed record World(TestUser User, WebhookReceiver Receiver, long TemplateId, long TaskId, long DeepTaskId, long UploadedFileId, Uri DownloadUrl, long WebhookId, string FirstEventId)
    {
        public static JsonArray Fields() =>
        [
            new JsonObject { ["id"] = "name", ["label"] = "Name", ["type"] = "text" },
            new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" },
        ];

        public static JsonObject Template(string label) => new() { ["label"] = label, ["fields"] = Fields() };

        public static async Task<World> CreateAsync(HttpClient client, WebhookReceiver receiver, int tasks, int templates, int deliveries)
        {
            var user = await client.NewUserAsync();
            (await client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["rate_limit_per_second"] = 100_000, ["rate_limit_burst"] = 1_000_000 })).AssertOk();
            var template = await user.CreateTemplateAsync(Fields());
            var task = await user.CreateTaskAsync(template, externalId: ExternalId);
            var reservation = await user.ReserveAsync(task, "doc", 100);
            (await reservation.UploadAsync(new byte[50], "a.txt")).AssertOk();
            var downloadUrl = new Uri((await reservation.ReadFileAsync())["download_url"]!.GetValue<string>());
            var webhook = (await user.CallAsync("webhook/create", new JsonObject { ["url"] = receiver.Url.AbsoluteUri, ["events"] = new JsonArray("webhook.test") })).AssertOk().Body["id"]!.GetValue<long>();
            var firstEvent = (await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhook })).AssertOk().Body["event_id"]!.GetValue<string>();

            var parallel = new ParallelOptions { MaxDegreeOfParallelism = 16 };
            var ids = new System.Collections.Concurrent.ConcurrentBag<long> { task };
            await Parallel.ForEachAsync(Enumerable.Range(1, tasks - 1), parallel, async (_, _) => ids.Add(await user.CreateTaskAsync(externalId: ExternalId)));
            await Parallel.ForEachAsync(Enumerable.Range(1, templates - 1), parallel, async (n, _) => await user.CreateTemplateAsync(Fields(), $"template {n}"));
            await Parallel.ForEachAsync(Enumerable.Range(1, deliveries - 1), parallel, async (_, _) =>
                (await user.CallAsync("webhook/test", new JsonObject { ["webhook_id"] = webhook })).AssertOk());
            var deep = ids.Order().ElementAt(ids.Count * 9 / 10); // Nine tenths into the list.
            return new World(user, receiver, template, task, deep, reservation.FileId, downloadUrl, webhook, firstEvent);
        }

        public async Task<(long Task, long File)> UploadedAttachmentAsync()
        {
            var task = await User.CreateTaskAsync();
            var value = (await User.CallAsync("task/file/create", new JsonObject { ["task_id"] = task, ["size"] = 10 })).AssertOk().Body["value"]!;
            (await User.Client.UploadAsync(value["fields"]!["token"]!.GetValue<string>(), new MemoryStream(new byte[5]), "a.bin")).AssertOk();
            return (task, value["file_id"]!.GetValue<long>());
        }

        public async Task<long> SubmittedTaskAsync()
        {
            var task = await User.CreateTaskAsync(TemplateId);
            (await User.CallAsync("task/form/submit", new JsonObject { ["task_id"] = task, ["values"] = TextValues("Ann") })).AssertOk();
            return task;
        }
    }
}
