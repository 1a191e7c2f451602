using FormFiles.Files;
using System.Net;
using System.Text.Json.Nodes;
using System.Web;
using Azure.Data.Tables;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Files;

[Collection(ServiceFixture.Collection)]
public sealed class FileCreateTests(ServiceFixture service)
{
    private const int MiB = 1024 * 1024;

    /// <summary>A template with a photo field, a limited file field, a signature and a text field.</summary>
    private static JsonArray Fields() =>
    [
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
        new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file", ["max_file_size"] = MiB, ["min_file_size"] = 10, ["allowed_extensions"] = new JsonArray("pdf") },
        new JsonObject { ["id"] = "sign", ["label"] = "Signature", ["type"] = "signature" },
        new JsonObject { ["id"] = "name", ["label"] = "Name", ["type"] = "text" },
    ];

    private async Task<(TestUser User, long TaskId)> TaskWithFormAsync(long? quotaBytes = null, HttpClient? client = null)
    {
        client ??= service.Client;
        var user = await client.NewUserAsync();
        if (quotaBytes is not null)
        {
            var id = (await client.AdminAsync("admin/user/create", new JsonObject { ["label"] = "Limited", ["quota_bytes"] = quotaBytes })).AssertOk().Body["id"]!.GetValue<long>();
            user = user with { Id = id, Hash = await client.NewKeyAsync(id) };
        }

        return (user, await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields())));
    }

    private static JsonObject Create(long taskId, string field = "photo", long size = 1000, string? filename = null, JsonNode? metadata = null)
    {
        var parameters = new JsonObject { ["task_id"] = taskId, ["field_id"] = field, ["size"] = size };
        if (filename is not null)
            parameters["filename"] = filename;
        if (metadata is not null)
            parameters["metadata"] = metadata;
        return parameters;
    }

    [Theory]
    [MemberData(nameof(RequestForms.All), MemberType = typeof(RequestForms))]
    public async Task Create_answers_navixy_and_sas_credentials(RequestForm form)
    {
        var (user, taskId) = await TaskWithFormAsync();
        var before = DateTimeOffset.UtcNow;

        var response = (await user.CallAsync("task/form/file/create", Create(taskId, metadata: new JsonObject { ["source"] = "camera" }), form)).AssertOk();

        var value = response.Body["value"]!.AsObject();
        Assert.Equal(["file_id", "expires", "url", "file_field_name", "fields", "sas_url", "sas_method", "sas_headers"], value.Select(p => p.Key));
        var fileId = value["file_id"]!.GetValue<long>();
        Assert.Equal(taskId, FileIds.BlockOf(fileId));
        var expires = DateTimeOffset.ParseExact(value["expires"]!.GetValue<string>() + "Z", "yyyy-MM-dd HH:mm:ssZ", null);
        Assert.InRange(expires, before.AddHours(1).AddSeconds(-2), DateTimeOffset.UtcNow.AddHours(1).AddSeconds(1));
        Assert.Equal(new Uri(service.Client.BaseAddress!, "/v2/task/form/file/upload"), new Uri(value["url"]!.GetValue<string>()));
        Assert.Equal("file", value["file_field_name"]!.GetValue<string>());
        Assert.Matches($@"^{fileId}\.{expires.ToUnixTimeSeconds()}\.[A-Za-z0-9_-]{{43}}$", value["fields"]!["token"]!.GetValue<string>());
        Assert.Equal("PUT", value["sas_method"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["x-ms-blob-type"] = "BlockBlob" }, value["sas_headers"]));

        var sas = new Uri(value["sas_url"]!.GetValue<string>());
        Assert.EndsWith($"/form-files/{user.Id}/{taskId}/{fileId}", sas.AbsolutePath, StringComparison.Ordinal);
        var query = HttpUtility.ParseQueryString(sas.Query);
        Assert.Equal("c", query["sp"]); // Create only: one Put Blob, no overwrite, no blocks, no lease.
        Assert.Equal("b", query["sr"]);
        Assert.Equal(expires, DateTimeOffset.Parse(query["se"]!, null));
        Assert.InRange(DateTimeOffset.Parse(query["st"]!, null), before.AddMinutes(-5).AddSeconds(-2), DateTimeOffset.UtcNow.AddMinutes(-5).AddSeconds(1));
    }

    [Fact]
    public async Task File_ids_count_up_from_the_task_row_and_are_never_given_twice()
    {
        var (user, taskId) = await TaskWithFormAsync();

        var first = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => user.CallAsync("task/form/file/create", Create(taskId))));
        var ids = first.Select(r => r.AssertOk().Body["value"]!["file_id"]!.GetValue<long>()).ToList();
        (await user.CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = ids.Max() })).AssertOk();
        var next = (await user.CallAsync("task/form/file/create", Create(taskId))).AssertOk().Body["value"]!["file_id"]!.GetValue<long>();

        foreach (var id in ids.Where(id => id != ids.Max()).Append(next))
            Assert.Equal(taskId, (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = id })).AssertOk().Body["value"]!["bindings"]!["form_field"]!["task_id"]!.GetValue<long>());
        Assert.Equal(5, ids.Append(next).Distinct().Count());
        Assert.True(next > ids.Max(), $"{next} reuses an id at or below {ids.Max()}");
        Assert.Equal(FileIds.Compose(taskId, 1), ids.Min());
    }

    [Fact]
    public async Task Create_holds_quota_for_the_reserved_size()
    {
        var (user, taskId) = await TaskWithFormAsync();

        (await user.CallAsync("task/form/file/create", Create(taskId, size: 3000))).AssertOk();
        (await user.CallAsync("task/form/file/create", Create(taskId, "doc", 500, "scan.PDF"))).AssertOk();

        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"file_count":2,"total_size":3500,"quota":1073741824}"""), stats), stats.ToJsonString());
    }

    [Fact]
    public async Task Each_error_code_comes_in_the_documented_order()
    {
        var (user, taskId) = await TaskWithFormAsync(quotaBytes: 5000);
        var viewer = user with { Hash = await service.Client.NewKeyAsync(user.Id, "task_view") };
        var other = await service.Client.NewUserAsync();
        var doneTask = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields()));
        (await user.CallAsync("task/status/change", new JsonObject { ["task_id"] = doneTask, ["status"] = "done" })).AssertOk();
        var formless = await user.CreateTaskAsync();
        var tooBig = Create(doneTask, "doc", 2 * MiB, "x.exe", new JsonArray(1));

        async Task Expect(int code, HttpStatusCode http, Task<Envelope> call) => (await call).AssertError(code, http);

        await Expect(3, HttpStatusCode.BadRequest, service.Client.CallAsync("task/form/file/create", tooBig));
        await Expect(4, HttpStatusCode.BadRequest, (user with { Hash = "0123456789abcdef0123456789abcdef" }).CallAsync("task/form/file/create", tooBig));
        await Expect(11, HttpStatusCode.Forbidden, viewer.CallAsync("task/form/file/create", tooBig));
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = long.MaxValue, ["field_id"] = "photo", ["size"] = "big" }));
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", new JsonObject { ["task_id"] = long.MaxValue, ["field_id"] = "photo" }));
        await Expect(201, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(long.MaxValue, "name", 2 * MiB)));
        await Expect(201, HttpStatusCode.BadRequest, other.CallAsync("task/form/file/create", Create(taskId)));
        await Expect(201, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(formless)));
        await Expect(201, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, "nothing")));
        await Expect(231, HttpStatusCode.Conflict, user.CallAsync("task/form/file/create", Create(doneTask, "name", 2 * MiB)));
        await Expect(255, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", tooBig));
        await Expect(271, HttpStatusCode.RequestEntityTooLarge, user.CallAsync("task/form/file/create", Create(taskId, "doc", MiB + 1, "x.exe", new JsonArray(1))));
        await Expect(271, HttpStatusCode.RequestEntityTooLarge, user.CallAsync("task/form/file/create", Create(taskId, "photo", 16 * MiB + 1)));
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, "photo", 0)));
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, "doc", 9, "x.pdf")));
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, "doc", 100, "x.exe")));
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, "doc", 100, "noextension")));
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, "photo", 100, "bad\u0001name.jpg")));
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, "photo", 100, new string('a', 252) + ".jpg")));
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, "photo", 100, "../../etc/passwd")));
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, metadata: new JsonArray(1))));
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, metadata: new JsonObject { ["big"] = new string('x', 4100) })));

        for (var i = 0; i < 6; i++)
            (await user.CallAsync("task/form/file/create", Create(taskId, "sign", 1))).AssertOk();
        await Expect(7, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, "sign", 0)));
        await Expect(267, HttpStatusCode.BadRequest, user.CallAsync("task/form/file/create", Create(taskId, "sign", 1_000_000)));
        await Expect(268, HttpStatusCode.PaymentRequired, user.CallAsync("task/form/file/create", Create(taskId, "photo", 5000)));

        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"file_count":6,"total_size":6,"quota":5000}"""), stats), stats.ToJsonString());
    }

    [Fact]
    public async Task Two_hundred_parallel_creates_on_one_field_admit_exactly_six()
    {
        var (user, taskId) = await TaskWithFormAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => user.CallAsync("task/form/file/create", Create(taskId, size: 100))));

        Assert.Equal(6, results.Count(r => r.HttpStatus == HttpStatusCode.OK));
        Assert.Equal(194, results.Count(r => r is { HttpStatus: HttpStatusCode.BadRequest, Code: 267 }));
        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.Equal(6, stats["file_count"]!.GetValue<long>());
        Assert.Equal(600, stats["total_size"]!.GetValue<long>());
        Assert.Equal(6, await PendingRowsAsync(user.Id));
    }

    [Fact]
    public async Task Fifty_parallel_one_MiB_creates_under_a_ten_MiB_quota_admit_exactly_ten()
    {
        var user = await service.Client.NewUserAsync();
        var limitedId = (await service.Client.AdminAsync("admin/user/create", new JsonObject { ["label"] = "Ten MiB", ["quota_bytes"] = 10 * MiB })).AssertOk().Body["id"]!.GetValue<long>();
        user = user with { Id = limitedId, Hash = await service.Client.NewKeyAsync(limitedId) };
        var templateId = await user.CreateTemplateAsync(Fields());
        var tasks = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => user.CreateTaskAsync(templateId)));

        var results = await Task.WhenAll(tasks.Select(taskId => user.CallAsync("task/form/file/create", Create(taskId, size: MiB))));

        Assert.Equal(10, results.Count(r => r.HttpStatus == HttpStatusCode.OK));
        Assert.Equal(40, results.Count(r => r is { HttpStatus: HttpStatusCode.PaymentRequired, Code: 268 }));
        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""{"file_count":10,"total_size":{{10 * MiB}},"quota":{{10 * MiB}}}"""), stats), stats.ToJsonString());
        Assert.Equal(10, await PendingRowsAsync(user.Id));
        var admitted = 0;
        foreach (var taskId in tasks)
            admitted += await FileRowsAsync(taskId);
        Assert.Equal(10, admitted);
    }

    [Fact]
    public async Task Sas_url_takes_a_plain_put_and_refuses_reads_other_blobs_and_expiry()
    {
        var (user, taskId) = await TaskWithFormAsync();
        var sas = await SasUrlAsync(user, Create(taskId));
        using var http = new HttpClient();

        var put = new HttpRequestMessage(HttpMethod.Put, sas) { Content = new ByteArrayContent([1, 2, 3]) };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(put)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(sas)).StatusCode);

        var elsewhere = new UriBuilder(sas) { Path = sas.AbsolutePath[..sas.AbsolutePath.LastIndexOf('/')] + "/999" }.Uri;
        var putElsewhere = new HttpRequestMessage(HttpMethod.Put, elsewhere) { Content = new ByteArrayContent([1]) };
        putElsewhere.Headers.Add("x-ms-blob-type", "BlockBlob");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(putElsewhere)).StatusCode);
    }

    [Fact]
    public async Task Sas_url_is_refused_after_the_reservation_expires()
    {
        // This instance's clock runs two hours behind: what it signs has expired by the real clock already.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-2));
        await using var behind = new FormFilesFactory(service.NewStorage().Settings, services => services.AddSingleton<TimeProvider>(clock));
        var (user, taskId) = await TaskWithFormAsync(client: behind.CreateClient());
        var sas = await SasUrlAsync(user, Create(taskId));
        using var http = new HttpClient();

        var put = new HttpRequestMessage(HttpMethod.Put, sas) { Content = new ByteArrayContent([1, 2, 3]) };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");

        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(put)).StatusCode);
    }

    [Fact]
    public async Task Upload_url_is_under_the_public_base_url_when_one_is_set()
    {
        await using var behindProxy = new FormFilesFactory(new Dictionary<string, string?>(service.NewStorage().Settings)
        {
            ["FormFiles:PublicBaseUrl"] = "https://files.example.com/api",
        });
        var (user, taskId) = await TaskWithFormAsync(client: behindProxy.CreateClient());

        var value = (await user.CallAsync("task/form/file/create", Create(taskId))).AssertOk().Body["value"]!;

        Assert.Equal("https://files.example.com/api/v2/task/form/file/upload", value["url"]!.GetValue<string>());
    }

    private static async Task<Uri> SasUrlAsync(TestUser user, JsonObject parameters) =>
        new((await user.CallAsync("task/form/file/create", parameters)).AssertOk().Body["value"]!["sas_url"]!.GetValue<string>());

    private async Task<int> PendingRowsAsync(long userId) =>
        (await Table("pending").QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"UserId eq {userId}")).ToListAsync()).Count;

    private async Task<int> FileRowsAsync(long taskId) =>
        (await Table("tasks").QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {taskId.ToString("D19", System.Globalization.CultureInfo.InvariantCulture)} and RowKey ge {"file-"} and RowKey lt {"file."}")).ToListAsync()).Count;

    private TableClient Table(string name) => new TableServiceClient(service.Azurite.ConnectionString).GetTableClient(name);
}
