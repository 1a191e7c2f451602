using System.Net;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Registry;

[Collection(ServiceFixture.Collection)]
public sealed class AdminTests(ServiceFixture service)
{
    private HttpClient Client => service.Client;

    public static TheoryData<string> AdminActions => new() { "admin/user/create", "admin/user/read", "admin/api_key/create", "admin/api_key/revoke" };

    [Theory]
    [MemberData(nameof(AdminActions))]
    public async Task Admin_actions_give_11_without_the_admin_key(string action)
    {
        (await Client.CallAsync(action, new JsonObject { ["label"] = "x" })).AssertError(11, HttpStatusCode.Forbidden);
        (await Client.CallAsync(action, new JsonObject { ["label"] = "x" }, headers: new Dictionary<string, string> { ["X-Admin-Key"] = Scenario.AdminKey + "x" }))
            .AssertError(11, HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(AdminActions))]
    public async Task Admin_actions_give_11_when_no_admin_key_is_configured(string action)
    {
        await using var factory = FormFilesFactory.ForStorage(service.NewStorage().ConnectionString);
        using var client = factory.CreateClient();

        (await client.AdminAsync(action, new JsonObject { ["label"] = "x" })).AssertError(11, HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(RequestForms.All), MemberType = typeof(RequestForms))]
    public async Task User_create_then_read_in_each_request_form(RequestForm form)
    {
        var created = (await Client.AdminAsync("admin/user/create", new JsonObject { ["label"] = "Acme Ltd", ["quota_bytes"] = 10485760 }, form)).AssertOk();
        var id = created.Body["id"]!.GetValue<long>();

        var read = (await Client.AdminAsync("admin/user/read", new JsonObject { ["user_id"] = id }, form)).AssertOk();

        var value = read.Body["value"]!;
        Assert.Equal(id, value["id"]!.GetValue<long>());
        Assert.Equal("Acme Ltd", value["label"]!.GetValue<string>());
        Assert.Equal(10485760, value["quota_bytes"]!.GetValue<long>());
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", value["created"]!.GetValue<string>());
    }

    [Fact]
    public async Task User_without_quota_gets_the_default_quota()
    {
        var id = (await Client.AdminAsync("admin/user/create", new JsonObject { ["label"] = "Default" })).AssertOk().Body["id"]!.GetValue<long>();

        var value = (await Client.AdminAsync("admin/user/read", new JsonObject { ["user_id"] = id })).AssertOk().Body["value"]!;

        Assert.Equal(1L << 30, value["quota_bytes"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("""{}""", "'label' is required")]
    [InlineData("""{"label": "   "}""", "'label' must be 1 to 100")]
    [InlineData("""{"label": "x", "quota_bytes": -1}""", "'quota_bytes' must be zero or more")]
    [InlineData("""{"label": "x", "quota_bytes": "lots"}""", "'quota_bytes' must be an integer")]
    public async Task User_create_with_bad_parameters_gives_7(string parameters, string problem)
    {
        var response = (await Client.AdminAsync("admin/user/create", JsonNode.Parse(parameters)!.AsObject())).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains(problem, response.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_read_of_an_unknown_user_gives_201()
    {
        (await Client.AdminAsync("admin/user/read", new JsonObject { ["user_id"] = long.MaxValue })).AssertError(201, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Api_key_is_32_hex_characters_shown_once_and_stored_only_as_a_digest()
    {
        var user = await Client.NewUserAsync();

        Assert.Matches("^[0-9a-f]{32}$", user.Hash);
        var table = new TableServiceClient(service.Azurite.ConnectionString).GetTableClient("apikeys");
        var rows = table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"UserId eq {user.Id}"));
        var row = Assert.Single(await rows.ToListAsync());
        Assert.DoesNotContain(user.Hash, string.Join("|", row.Select(p => $"{p.Key}={p.Value}")), StringComparison.Ordinal);
        Assert.Equal(64, row.PartitionKey.Length);
    }

    [Theory]
    [InlineData("""["task_view", "admin"]""")]
    [InlineData("""[]""")]
    [InlineData("""[1]""")]
    [InlineData("\"task_view\"")]
    public async Task Api_key_with_bad_rights_gives_7(string rights)
    {
        var user = await Client.NewUserAsync();

        var response = (await Client.AdminAsync("admin/api_key/create", new JsonObject { ["user_id"] = user.Id, ["rights"] = JsonNode.Parse(rights) }))
            .AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains("'rights'", response.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_key_for_an_unknown_user_gives_201()
    {
        (await Client.AdminAsync("admin/api_key/create", new JsonObject { ["user_id"] = long.MaxValue, ["rights"] = new JsonArray("task_view") }))
            .AssertError(201, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Revoked_key_gets_4()
    {
        var user = await Client.NewUserAsync();
        (await user.CallAsync("form/template/list")).AssertOk();

        (await Client.AdminAsync("admin/api_key/revoke", new JsonObject { ["hash"] = user.Hash })).AssertOk();

        (await user.CallAsync("form/template/list")).AssertError(4, HttpStatusCode.BadRequest);
        (await Client.AdminAsync("admin/api_key/revoke", new JsonObject { ["hash"] = user.Hash })).AssertOk();
    }

    [Fact]
    public async Task Revocation_reaches_another_instance_within_five_seconds()
    {
        var storage = service.NewStorage();
        await using var first = new FormFilesFactory(storage.Settings);
        using var firstClient = first.CreateClient();
        var user = await firstClient.NewUserAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var other = new FormFilesFactory(storage.Settings, services => services.AddSingleton<TimeProvider>(clock));
        using var otherClient = other.CreateClient();
        var onOther = user with { Client = otherClient };
        (await onOther.CallAsync("form/template/list")).AssertOk();

        (await firstClient.AdminAsync("admin/api_key/revoke", new JsonObject { ["hash"] = user.Hash })).AssertOk();
        clock.Advance(TimeSpan.FromSeconds(5));

        (await onOther.CallAsync("form/template/list")).AssertError(4, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("short")]
    public async Task Revoke_of_a_malformed_key_gives_7(string hash)
    {
        (await Client.AdminAsync("admin/api_key/revoke", new JsonObject { ["hash"] = hash })).AssertError(7, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Revoke_of_an_unknown_key_gives_201()
    {
        (await Client.AdminAsync("admin/api_key/revoke", new JsonObject { ["hash"] = "00000000000000000000000000000000" }))
            .AssertError(201, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unknown_key_gets_4()
    {
        var stranger = new TestUser(0, "ffffffffffffffffffffffffffffffff", Client);

        (await stranger.CallAsync("task/list")).AssertError(4, HttpStatusCode.BadRequest);
    }
}
