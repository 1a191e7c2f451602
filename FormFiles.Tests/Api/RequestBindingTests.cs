using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Api;

[Collection(ServiceFixture.Collection)]
public sealed class RequestBindingTests(ServiceFixture service)
{
    private const string Hash = "0123456789abcdef0123456789abcdef";
    private const string OtherHash = "fedcba9876543210fedcba9876543210";
    private const string ThirdHash = "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb";

    private HttpClient Client => service.Client;

    private static KeyValuePair<string, string>[] TextFields(string? hash = Hash) =>
    [
        .. hash is null ? [] : new[] { KeyValuePair.Create("hash", hash) },
        KeyValuePair.Create("task_id", "9007199254740993"),
        KeyValuePair.Create("field_id", "photo_1"),
        KeyValuePair.Create("filename", "Zürich façade.jpg"),
        KeyValuePair.Create("flag", "true"),
        KeyValuePair.Create("metadata", """{"orientation":6,"tags":["a","b"]}"""),
        KeyValuePair.Create("rights", """["task_view","task_update"]"""),
    ];

    private static JsonObject JsonFields(string? hash = Hash)
    {
        var body = new JsonObject
        {
            ["task_id"] = 9007199254740993,
            ["field_id"] = "photo_1",
            ["filename"] = "Zürich façade.jpg",
            ["flag"] = true,
            ["metadata"] = new JsonObject { ["orientation"] = 6, ["tags"] = new JsonArray("a", "b") },
            ["rights"] = new JsonArray("task_view", "task_update"),
        };
        if (hash is not null)
            body["hash"] = hash;
        return body;
    }

    [Fact]
    public async Task Json_form_and_query_bind_identical_parameters()
    {
        var json = (await Client.PostJsonAsync("test/echo", JsonFields())).AssertOk();
        var form = (await Client.PostFormAsync("test/echo", TextFields())).AssertOk();
        var query = (await Client.GetQueryAsync("test/echo", TextFields())).AssertOk();

        var expected = JsonNode.Parse("""
            {"success":true,"hash":"0123456789abcdef0123456789abcdef","task_id":9007199254740993,"field_id":"photo_1",
             "filename":"Zürich façade.jpg","flag":true,"metadata":{"orientation":6,"tags":["a","b"]},
             "rights":["task_view","task_update"]}
            """);
        Assert.True(JsonNode.DeepEquals(expected, json.Body), json.Raw);
        Assert.True(JsonNode.DeepEquals(expected, form.Body), form.Raw);
        Assert.True(JsonNode.DeepEquals(expected, query.Body), query.Raw);
    }

    [Fact]
    public async Task Body_values_override_query_values()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/test/echo?{Requests.Query(TextFields())}&field_id=from_query")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("field_id", "from_body")]),
        };

        var response = (await Client.CallAsync(request)).AssertOk();

        Assert.Equal("from_body", response.Body["field_id"]!.GetValue<string>());
        Assert.Equal(9007199254740993, response.Body["task_id"]!.GetValue<long>());
    }

    [Fact]
    public async Task Hash_is_found_in_the_body()
    {
        var response = (await Client.PostJsonAsync("test/echo", JsonFields(Hash))).AssertOk();
        Assert.Equal(Hash, response.Body["hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task Hash_is_found_in_the_query()
    {
        var response = (await Client.GetQueryAsync("test/echo", TextFields(Hash))).AssertOk();
        Assert.Equal(Hash, response.Body["hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task Hash_is_found_in_the_authorization_header()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/test/echo?{Requests.Query(TextFields(hash: null))}");
        request.Headers.TryAddWithoutValidation("Authorization", $"NVX {Hash}");

        var response = (await Client.CallAsync(request)).AssertOk();

        Assert.Equal(Hash, response.Body["hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task Hash_in_the_body_wins_over_query_and_header()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/test/echo?hash={OtherHash}")
        {
            Content = new FormUrlEncodedContent(TextFields(Hash)),
        };
        request.Headers.TryAddWithoutValidation("Authorization", $"NVX {ThirdHash}");

        var response = (await Client.CallAsync(request)).AssertOk();

        Assert.Equal(Hash, response.Body["hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task Hash_in_the_query_wins_over_the_header()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/test/echo?{Requests.Query(TextFields(OtherHash))}");
        request.Headers.TryAddWithoutValidation("Authorization", $"NVX {ThirdHash}");

        var response = (await Client.CallAsync(request)).AssertOk();

        Assert.Equal(OtherHash, response.Body["hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task Absent_hash_gives_3()
    {
        (await Client.PostJsonAsync("test/echo", JsonFields(hash: null))).AssertError(3, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("0123456789abcdef")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    public async Task Malformed_hash_gives_3(string hash)
    {
        (await Client.PostJsonAsync("test/echo", JsonFields(hash))).AssertError(3, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Malformed_hash_in_the_header_gives_3()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/test/echo?{Requests.Query(TextFields(hash: null))}");
        request.Headers.TryAddWithoutValidation("Authorization", "NVX not-a-key");

        (await Client.CallAsync(request)).AssertError(3, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Malformed_json_gives_5()
    {
        var content = new StringContent("""{"hash": "0123456789abcdef0123456789abcdef", "task_id": """, Encoding.UTF8, "application/json");

        var response = (await Client.CallAsync(new HttpRequestMessage(HttpMethod.Post, "/v2/test/echo") { Content = content }))
            .AssertError(5, HttpStatusCode.BadRequest);

        Assert.Contains("malformed JSON", response.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"text\"")]
    public async Task Json_body_that_is_not_an_object_gives_5(string body)
    {
        var content = new StringContent(body, Encoding.UTF8, "application/json");

        (await Client.CallAsync(new HttpRequestMessage(HttpMethod.Post, "/v2/test/echo") { Content = content }))
            .AssertError(5, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task Wrong_content_type_gives_5(string contentType)
    {
        var content = new StringContent("hash=0123456789abcdef0123456789abcdef&task_id=1&field_id=f");
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        var response = (await Client.CallAsync(new HttpRequestMessage(HttpMethod.Post, "/v2/test/echo") { Content = content }))
            .AssertError(5, HttpStatusCode.BadRequest);

        Assert.Contains("content type", response.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_over_one_MiB_gives_9_with_412()
    {
        var body = JsonFields();
        body["padding"] = new string('x', 1024 * 1024);

        (await Client.PostJsonAsync("test/echo", body)).AssertError(9, HttpStatusCode.PreconditionFailed);
    }

    [Theory]
    [InlineData("task_id", "twelve", "'task_id' must be an integer")]
    [InlineData("task_id", "1.5", "'task_id' must be an integer")]
    [InlineData("metadata", "[1]", "'metadata' must be a JSON object")]
    [InlineData("metadata", "{not json", "'metadata' must be a JSON object")]
    [InlineData("rights", "task_view", "'rights' must be a JSON array")]
    [InlineData("flag", "maybe", "'flag' must be true or false")]
    public async Task Parameter_of_the_wrong_type_gives_7_naming_it(string name, string value, string expected)
    {
        var fields = TextFields().Where(f => f.Key != name).Append(KeyValuePair.Create(name, value));

        var response = (await Client.PostFormAsync("test/echo", fields)).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains(expected, response.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_value_of_the_wrong_type_gives_7_naming_it()
    {
        var body = JsonFields();
        body["field_id"] = 42;

        var response = (await Client.PostJsonAsync("test/echo", body)).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains("'field_id' must be a string", response.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_required_parameter_gives_7_naming_it()
    {
        var fields = TextFields().Where(f => f.Key != "field_id");

        var response = (await Client.GetQueryAsync("test/echo", fields)).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains("'field_id' is required", response.Description, StringComparison.Ordinal);
    }
}
