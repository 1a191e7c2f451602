using System.Net;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Data.Tables;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Calls;

[Collection(ServiceFixture.Collection)]
public sealed class IdempotencyTests(ServiceFixture service)
{
    private static JsonArray FileField => [new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" }];

    [Fact]
    public async Task Twenty_parallel_creates_with_one_key_make_one_reservation_and_one_charge()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => CreateAsync(user, task, "order-42", size: 1000)));

        var successes = answers.Where(a => a.HttpStatus == HttpStatusCode.OK).ToList();
        Assert.NotEmpty(successes);
        Assert.All(successes, a => Assert.Equal(successes[0].Raw, a.Raw));
        Assert.All(answers.Where(a => a.HttpStatus != HttpStatusCode.OK), a =>
        {
            a.AssertError(15, HttpStatusCode.TooManyRequests);
            Assert.Equal("1", a.Header("Retry-After"));
        });
        Assert.Equal(successes.Count - 1, successes.Count(a => a.Header("Idempotent-Replayed") == "true"));

        var replay = await CreateAsync(user, task, "order-42", size: 1000);
        Assert.Equal(successes[0].Raw, replay.Raw);
        Assert.Equal("true", replay.Header("Idempotent-Replayed"));
        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.Equal(1, stats["file_count"]!.GetValue<long>());
        Assert.Equal(1000, stats["total_size"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_kept_answer_holds_no_usable_credential_at_rest_and_belongs_to_the_api_key_that_sent_it()
    {
        var storage = service.NewStorage();
        await using var host = new FormFilesFactory(storage.Settings);
        var user = await host.CreateClient().NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));

        var first = (await CreateAsync(user, task, "sealed", size: 100)).AssertOk();
        var value = first.Body["value"]!;
        var token = value["fields"]!["token"]!.GetValue<string>();
        var signature = System.Web.HttpUtility.ParseQueryString(new Uri(value["sas_url"]!.GetValue<string>()).Query)["sig"]!;

        // What the table holds of it: no token, no SAS signature, not the answer in any readable form.
        var rows = await storage.Table("idempotency").QueryAsync<TableEntity>().ToListAsync();
        var stored = string.Join("\n", rows.SelectMany(r => r.Select(p => p.Value is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) + Convert.ToBase64String(bytes) : p.Value?.ToString())));
        Assert.Single(rows);
        foreach (var secret in new[] { token, token.Split('.')[2], signature, Uri.EscapeDataString(signature), "file_id", user.Hash })
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);

        // The key's own retry gets its answer back; another API key of the user makes a call of its own.
        var replay = await CreateAsync(user, task, "sealed", size: 100);
        Assert.Equal(first.Raw, replay.Raw);
        Assert.Equal("true", replay.Header("Idempotent-Replayed"));
        var other = user with { Hash = await host.CreateClient().NewKeyAsync(user.Id) };
        var own = (await CreateAsync(other, task, "sealed", size: 100)).AssertOk();
        Assert.Null(own.Header("Idempotent-Replayed"));
        Assert.NotEqual(value["file_id"]!.GetValue<long>(), own.Body["value"]!["file_id"]!.GetValue<long>());
    }

    [Theory]
    [MemberData(nameof(RequestForms.All), MemberType = typeof(RequestForms))]
    public async Task The_same_call_in_another_request_form_is_a_replay_and_other_parameters_are_7(RequestForm form)
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));
        var first = (await CreateAsync(user, task, "\"quoted-key\"", size: 10)).AssertOk();

        // The structured-field string and the bare token name the same key; "10" binds as 10.
        var again = await user.Client.CallAsync("task/form/file/create", Create(user, task, "10"), form, Key("quoted-key"));
        Assert.Equal(first.Raw, again.Raw);
        Assert.Equal("true", again.Header("Idempotent-Replayed"));

        var other = await user.Client.CallAsync("task/form/file/create", Create(user, task, 11), form, Key("quoted-key"));
        other.AssertError(7, HttpStatusCode.BadRequest);
        Assert.Contains("Idempotency-Key", other.Description, StringComparison.Ordinal);
        Assert.Equal(1, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["file_count"]!.GetValue<long>());
    }

    [Theory]
    [MemberData(nameof(MalformedKeys))]
    public async Task A_malformed_key_is_7_and_changes_nothing(string key)
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));

        (await user.Client.CallAsync("task/form/file/create", Create(user, task, 10), headers: Key(key))).AssertError(7, HttpStatusCode.BadRequest);
        Assert.Equal(0, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["file_count"]!.GetValue<long>());
    }

    /// <summary>Empty, too long, control characters and DEL anywhere (what an HTTP client lets through; Kestrel refuses non-ASCII itself).</summary>
    public static TheoryData<string> MalformedKeys()
    {
        var random = new Random(14);
        var controls = Enumerable.Range(1, 31).Where(c => c is not ('\t' or '\n' or '\r')).Select(c => (char)c).Append('\x7f').ToArray();
        var keys = new TheoryData<string> { string.Empty, "\"\"", new string('k', 256), "tab\there" };
        for (var i = 0; i < 6; i++)
        {
            var key = new string(Enumerable.Range(0, random.Next(1, 20)).Select(_ => (char)random.Next('!', '~' + 1)).ToArray());
            keys.Add(key.Insert(random.Next(1, key.Length + 1), controls[random.Next(controls.Length)].ToString()));
        }

        keys.Add(new string(Enumerable.Range(0, random.Next(256, 400)).Select(_ => (char)random.Next('!', '~' + 1)).ToArray()));
        return keys;
    }

    [Fact]
    public async Task An_error_answer_is_kept_too_but_storage_trouble_is_not()
    {
        var user = await service.Client.NewUserAsync();

        var missing = (await user.Client.CallAsync("task/form/file/create", new JsonObject { ["hash"] = user.Hash, ["task_id"] = 999999999, ["field_id"] = "doc", ["size"] = 1 }, headers: Key("gone")))
            .AssertError(201, HttpStatusCode.BadRequest);
        var replay = await user.Client.CallAsync("task/form/file/create", new JsonObject { ["hash"] = user.Hash, ["task_id"] = 999999999, ["field_id"] = "doc", ["size"] = 1 }, headers: Key("gone"));
        Assert.Equal(missing.Raw, replay.Raw);
        Assert.Equal("true", replay.Header("Idempotent-Replayed"));
    }

    [Fact]
    public async Task A_key_without_the_right_gets_11_and_neither_takes_nor_spoils_the_answer()
    {
        var writer = await service.Client.NewUserAsync();
        var reader = writer with { Hash = await service.Client.NewKeyAsync(writer.Id, "task_view") };
        var task = await writer.CreateTaskAsync(await writer.CreateTemplateAsync(FileField));

        (await CreateAsync(reader, task, "shared", size: 10)).AssertError(11, HttpStatusCode.Forbidden);
        var created = (await CreateAsync(writer, task, "shared", size: 10)).AssertOk();
        Assert.Null(created.Header("Idempotent-Replayed"));
        (await CreateAsync(reader, task, "shared", size: 10)).AssertError(11, HttpStatusCode.Forbidden);
        Assert.Equal(created.Raw, (await CreateAsync(writer, task, "shared", size: 10)).Raw);
    }

    [Theory]
    [MemberData(nameof(RequestForms.All), MemberType = typeof(RequestForms))]
    public async Task Text_that_is_not_valid_Unicode_in_a_keyed_call_is_a_4xx(RequestForm form)
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));
        var call = Create(user, task, 10);
        call["metadata"] = "{\"note\":\"\\ud800\"}"; // JSON text with an escaped lone surrogate, as a form or query sends it.

        var answer = await user.Client.CallAsync("task/form/file/create", call, form, Key("surrogate"));

        Assert.Equal(HttpStatusCode.BadRequest, answer.HttpStatus);
        Assert.Equal(7, answer.Code);
    }

    [Fact]
    public async Task After_the_retention_the_key_makes_a_new_reservation()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var storage = service.NewStorage();
        await using var host = FormFilesFactory.OnClock(storage, clock);
        using var client = host.CreateClient();
        var user = await client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));

        var first = (await CreateAsync(user, task, "daily", size: 10)).AssertOk();
        clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(first.Raw, (await CreateAsync(user, task, "daily", size: 10)).Raw);
        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var second = (await CreateAsync(user, task, "daily", size: 10)).AssertOk();

        Assert.Null(second.Header("Idempotent-Replayed"));
        Assert.NotEqual(first.Body["value"]!["file_id"]!.GetValue<long>(), second.Body["value"]!["file_id"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_sweep_purges_keys_past_their_retention_and_leaves_the_others()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var storage = service.NewStorage();
        await using var host = FormFilesFactory.OnClock(storage, clock);
        using var client = host.CreateClient();
        var user = await client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));
        (await CreateAsync(user, task, "old", size: 10)).AssertOk();
        clock.Advance(TimeSpan.FromHours(12));
        (await CreateAsync(user, task, "young", size: 10)).AssertOk();
        var table = storage.Table("idempotency");
        var partition = user.Id.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

        clock.Advance(TimeSpan.FromHours(13));
        await host.Services.GetRequiredService<FormFiles.Files.Maintenance>().SweepAsync(CancellationToken.None);

        Assert.Single(table.Query<TableEntity>(e => e.PartitionKey == partition));
        Assert.Equal("true", (await CreateAsync(user, task, "young", size: 10)).Header("Idempotent-Replayed"));
    }

    [Fact]
    public async Task Parallel_retries_under_lost_responses_still_make_one_reservation()
    {
        var lost = new LostResponses(0.2);
        await using var host = new FormFilesFactory(
            new Dictionary<string, string?>(service.NewStorage().Settings)
            {
                ["FormFiles:Idempotency:Lease"] = "00:00:08", // A request whose clean-up was lost too frees the key soon.
            },
            services => services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(lost, HttpPipelinePosition.PerRetry))));
        using var client = host.CreateClient();
        var user = await client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));

        lost.Enabled = true;
        var answers = new List<Envelope>();
        for (var round = 0; round < 4; round++)
            answers.AddRange(await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => CreateAsync(user, task, "flaky", size: 77))));
        lost.Enabled = false;
        Envelope last;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((last = await CreateAsync(user, task, "flaky", size: 77)).HttpStatus != HttpStatusCode.OK && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        answers.Add(last.AssertOk());

        Assert.True(lost.Lost > 0);
        var successes = answers.Where(a => a.HttpStatus == HttpStatusCode.OK).Select(a => a.Raw).Distinct().ToList();
        Assert.True(successes.Count <= 1, string.Join("\n", successes));
        Assert.All(answers.Where(a => a.HttpStatus != HttpStatusCode.OK), a => Assert.Contains(a.Code, new[] { 14, 15 }));
        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.Equal(1, stats["file_count"]!.GetValue<long>());
        Assert.Equal(77, stats["total_size"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_key_whose_first_request_died_is_busy_during_its_lease_and_free_after_it()
    {
        // Storage refuses everything but the key row's claim: the first request's work and its clean-up both fail,
        // as when its process dies after claiming the key.
        var crash = new Crash();
        await using var host = new FormFilesFactory(
            new Dictionary<string, string?>(service.NewStorage().Settings)
            {
                ["FormFiles:Idempotency:Lease"] = "00:00:03",
            },
            services => services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(crash, HttpPipelinePosition.PerCall))));
        using var client = host.CreateClient();
        var user = await client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));
        (await user.CallAsync("file/stats/read")).AssertOk(); // The key is known to this host.

        crash.Armed = true;
        (await CreateAsync(user, task, "crashing", size: 10)).AssertError(14, HttpStatusCode.ServiceUnavailable);
        crash.Armed = false;
        Assert.True(crash.Refused > 0);

        var busy = (await CreateAsync(user, task, "crashing", size: 10)).AssertError(15, HttpStatusCode.TooManyRequests);
        Assert.Equal("1", busy.Header("Retry-After"));
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        (await CreateAsync(user, task, "crashing", size: 10)).AssertOk();
        Assert.Equal(1, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["file_count"]!.GetValue<long>());
    }

    [Fact]
    public async Task Work_that_outlasts_the_lease_keeps_its_key()
    {
        var slow = new SlowTasks();
        await using var host = new FormFilesFactory(
            new Dictionary<string, string?>(service.NewStorage().Settings)
            {
                ["FormFiles:Idempotency:Lease"] = "00:00:02",
            },
            services => services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(slow, HttpPipelinePosition.PerCall))));
        using var client = host.CreateClient();
        var user = await client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));

        slow.Delay = TimeSpan.FromSeconds(5);
        var first = CreateAsync(user, task, "slow", size: 10);
        await Task.Delay(TimeSpan.FromSeconds(3.5)); // Past the lease: only its renewal keeps the key.
        var meanwhile = await CreateAsync(user, task, "slow", size: 10);
        slow.Delay = TimeSpan.Zero;

        meanwhile.AssertError(15, HttpStatusCode.TooManyRequests);
        var created = (await first).AssertOk();
        Assert.Equal(created.Raw, (await CreateAsync(user, task, "slow", size: 10)).Raw);
        Assert.Equal(1, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["file_count"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_read_with_a_key_is_not_kept_and_a_malformed_key_on_a_read_is_ignored()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));
        (await CreateAsync(user, task, "order-1", size: 10)).AssertOk();

        var read = await user.Client.CallAsync("file/stats/read", new JsonObject { ["hash"] = user.Hash }, headers: Key("order-1"));
        var malformed = await user.Client.CallAsync("file/stats/read", new JsonObject { ["hash"] = user.Hash }, headers: Key(new string('k', 300)));

        Assert.Null(read.AssertOk().Header("Idempotent-Replayed"));
        malformed.AssertOk();
        Assert.Equal("true", (await CreateAsync(user, task, "order-1", size: 10)).Header("Idempotent-Replayed"));
    }

    [Fact]
    public async Task A_call_without_a_key_runs_every_time()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(FileField));

        var first = (await user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = task, ["field_id"] = "doc", ["size"] = 5 })).AssertOk();
        var second = (await user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = task, ["field_id"] = "doc", ["size"] = 5 })).AssertOk();

        Assert.NotEqual(first.Body["value"]!["file_id"]!.ToJsonString(), second.Body["value"]!["file_id"]!.ToJsonString());
    }

    private static Task<Envelope> CreateAsync(TestUser user, long task, string key, long size) =>
        user.Client.CallAsync("task/form/file/create", Create(user, task, size), headers: Key(key));

    private static JsonObject Create(TestUser user, long task, JsonNode size) =>
        new() { ["hash"] = user.Hash, ["task_id"] = task, ["field_id"] = "doc", ["size"] = size };

    private static Dictionary<string, string> Key(string key) => new() { ["Idempotency-Key"] = key };

    /// <summary>Holds every storage request but the key's row and key lookups for <see cref="Delay"/>: work that takes longer than its lease.</summary>
    private sealed class SlowTasks : Azure.Core.Pipeline.HttpPipelinePolicy
    {
        public TimeSpan Delay { get; set; }

        public override void Process(HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            var path = message.Request.Uri.Path;
            if (Delay > TimeSpan.Zero && !path.Contains("/idempotency", StringComparison.Ordinal) && !path.Contains("/apikeys", StringComparison.Ordinal) && !path.Contains("/users(", StringComparison.Ordinal))
                await Task.Delay(Delay);
            await ProcessNextAsync(message, pipeline);
        }
    }

    /// <summary>While armed, refuses every storage request but reads and inserts of the idempotency table and key lookups.</summary>
    private sealed class Crash : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        private int refused;

        public volatile bool Armed;

        public int Refused => refused;

        public override void OnSendingRequest(HttpMessage message)
        {
            var path = message.Request.Uri.Path;
            var spared = (path.Contains("/idempotency", StringComparison.Ordinal) && message.Request.Method != RequestMethod.Delete)
                         || path.Contains("/apikeys", StringComparison.Ordinal) || path.Contains("/users", StringComparison.Ordinal);
            if (!Armed || spared)
                return;
            Interlocked.Increment(ref refused);
            throw new Azure.RequestFailedException(503, "Injected crash");
        }
    }
}
