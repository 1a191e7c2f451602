using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Hardening;

/// <summary>Input that used to answer 500: each now gets 5 or 7 in the envelope, and changes nothing.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class HostileInputTests(ServiceFixture service)
{
    private static JsonArray Fields() =>
    [
        new JsonObject { ["id"] = "stars", ["label"] = "Stars", ["type"] = "rating" },
        new JsonObject { ["id"] = "size", ["label"] = "Size", ["type"] = "dropdown", ["options"] = new JsonArray(new JsonObject { ["label"] = "S" }, new JsonObject { ["label"] = "L" }) },
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" },
        new JsonObject { ["id"] = "sign", ["label"] = "Signature", ["type"] = "signature" },
    ];

    private async Task<(TestUser User, long TaskId)> TaskAsync()
    {
        var user = await service.Client.NewUserAsync();
        return (user, await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields())));
    }

    private async Task<Envelope> PostRawJsonAsync(string action, string json, string? hash = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/{action}") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (hash is not null)
            request.Headers.TryAddWithoutValidation("Authorization", $"NVX {hash}");
        return await service.Client.CallAsync(request);
    }

    public static TheoryData<string> UnpairedSurrogateBodies => new()
    {
        """{"hash": "\ud800", "task_id": 1}""",
        """{"hash": "HASH", "task_id": 1, "field_id": "photo", "size": 10, "filename": "a\udc00.jpg"}""",
        """{"hash": "HASH", "task_id": 1, "field_id": "photo", "size": 10, "\ud800": 1}""",
        """{"hash": "HASH", "task_id": 1, "field_id": "photo", "size": 10, "metadata": {"note": "\ud800"}}""",
        """{"hash": "HASH", "task_id": 1, "field_id": "photo", "size": 10, "metadata": {"\udbff": [1, {"x": "\ud800\ud800"}]}}""",
    };

    [Theory]
    [MemberData(nameof(UnpairedSurrogateBodies))]
    public async Task An_unpaired_surrogate_anywhere_in_a_json_body_is_5_naming_where(string body)
    {
        var (user, taskId) = await TaskAsync();

        var response = (await PostRawJsonAsync("task/form/file/create", body.Replace("HASH", user.Hash, StringComparison.Ordinal).Replace("\"task_id\": 1", $"\"task_id\": {taskId}", StringComparison.Ordinal)))
            .AssertError(5, HttpStatusCode.BadRequest);

        Assert.Contains("not valid Unicode", response.Description, StringComparison.Ordinal);
        Assert.Equal(0, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["file_count"]!.GetValue<long>());
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_in_a_json_body_are_5()
    {
        var user = await service.Client.NewUserAsync();
        var body = Encoding.ASCII.GetBytes($$$"""{"hash": "{{{user.Hash}}}", "task": {"label": "xx"}}""");
        body[body.Length - 5] = 0xFF; // Inside the label's string.
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        (await Envelope.ReadAsync(await service.Client.PostAsync("/v2/task/create", content))).AssertError(5, HttpStatusCode.BadRequest);

        Assert.Equal(0, (await user.CallAsync("task/list")).AssertOk().Body["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(RequestForm.Form)]
    [InlineData(RequestForm.Query)]
    public async Task An_unpaired_surrogate_in_json_text_of_a_form_or_query_is_7_naming_the_parameter(RequestForm form)
    {
        var (user, taskId) = await TaskAsync();
        var fields = new List<KeyValuePair<string, string>>
        {
            new("hash", user.Hash), new("task_id", taskId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("field_id", "photo"), new("size", "10"), new("metadata", """{"note": "\ud800"}"""),
        };

        var response = form == RequestForm.Form
            ? await service.Client.PostFormAsync("task/form/file/create", fields)
            : await service.Client.GetQueryAsync("task/form/file/create", fields);

        Assert.Contains("'metadata'", response.AssertError(7, HttpStatusCode.BadRequest).Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metadata_that_was_refused_cannot_poison_later_reads()
    {
        var (user, taskId) = await TaskAsync();
        (await PostRawJsonAsync("task/form/file/create", $$$"""{"task_id": {{{taskId}}}, "field_id": "photo", "size": 10, "metadata": {"n": "\ud800"}}""", user.Hash))
            .AssertError(5, HttpStatusCode.BadRequest);

        (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = taskId })).AssertOk();
    }

    [Fact]
    public async Task Quoted_numbers_inside_value_objects_are_accepted_and_stored_as_numbers()
    {
        var (user, taskId) = await TaskAsync();
        var photo = await user.ReserveAsync(taskId, "photo", 100);
        (await photo.UploadAsync(Uploads.JpegLike(100), "p.jpg")).AssertOk();
        var sign = await user.ReserveAsync(taskId, "sign", 100);
        (await sign.UploadAsync(Uploads.JpegLike(100), "s.jpg")).AssertOk();

        var body = $$$"""
            {"task_id": "{{{taskId}}}", "location": {"lat": "52.5", "lng": "13.4"}, "values": {
              "stars": {"type": "rating", "value": "4"},
              "size": {"type": "dropdown", "value_index": "1"},
              "photo": {"type": "photo", "file_ids": ["{{{photo.FileId}}}"]},
              "sign": {"type": "signature", "file_id": "{{{sign.FileId}}}"}
            }}
            """;
        (await PostRawJsonAsync("task/form/submit", body, user.Hash)).AssertOk();

        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = taskId })).AssertOk().Body["value"]!;
        var expected = JsonNode.Parse($$$"""
            {"stars": {"type": "rating", "value": 4}, "size": {"type": "dropdown", "value_index": 1},
             "photo": {"type": "photo", "file_ids": [{{{photo.FileId}}}]}, "sign": {"type": "signature", "file_id": {{{sign.FileId}}}}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, form["values"]), form["values"]!.ToJsonString());
        Assert.Equal(52.5, form["submit_location"]!["lat"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("""{"type": "rating", "value": "four"}""", "stars")]
    [InlineData("""{"type": "rating", "value": {"n": 4}}""", "stars")]
    [InlineData("""{"type": "dropdown", "value_index": "1.5"}""", "size")]
    [InlineData("""{"type": "photo", "file_ids": ["x"]}""", "photo")]
    [InlineData("""{"type": "signature", "file_id": [1]}""", "sign")]
    public async Task Value_objects_of_the_wrong_shape_are_242_with_code_2(string value, string field)
    {
        var (user, taskId) = await TaskAsync();

        var response = (await PostRawJsonAsync("task/form/submit", $$$"""{"task_id": {{{taskId}}}, "values": {"{{{field}}}": {{{value}}}}}""", user.Hash)).AssertErrorWithFields(242);

        var error = Assert.Single(response.Body["errors"]!.AsArray())!;
        Assert.Equal(field, error["field_id"]!.GetValue<string>());
        Assert.Equal(2, error["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_location_with_a_quoted_non_number_is_7()
    {
        var (user, taskId) = await TaskAsync();

        var response = await PostRawJsonAsync("task/form/submit", $$$"""{"task_id": {{{taskId}}}, "values": {}, "location": {"lat": "north", "lng": 1}}""", user.Hash);

        Assert.Contains("'location.lat'", response.AssertError(7, HttpStatusCode.BadRequest).Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_template_field_with_a_null_id_is_7()
    {
        var user = await service.Client.NewUserAsync();

        var response = await PostRawJsonAsync("form/template/create", """{"template": {"label": "T", "fields": [{"id": null, "label": "A", "type": "text"}]}}""", user.Hash);

        Assert.Contains("template.fields[0].id", response.AssertError(7, HttpStatusCode.BadRequest).Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Task_create_with_another_users_or_no_template_is_201_and_create_form_without_one_is_7()
    {
        var owner = await service.Client.NewUserAsync();
        var template = await owner.CreateTemplateAsync(Fields());
        var other = await service.Client.NewUserAsync();

        (await other.CallAsync("task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = "x", ["form_template_id"] = template } }))
            .AssertError(201, HttpStatusCode.BadRequest);
        (await other.CallAsync("task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = "x", ["form_template_id"] = template + 1000 }, ["create_form"] = false }))
            .AssertError(201, HttpStatusCode.BadRequest);
        var missing = (await other.CallAsync("task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = "x" }, ["create_form"] = true }))
            .AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains("'task.form_template_id' is required", missing.Description, StringComparison.Ordinal);
        Assert.Equal(0, (await other.CallAsync("task/list")).AssertOk().Body["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_http_1_0_request_without_host_gets_5_where_an_upload_url_is_built()
    {
        var (user, taskId) = await TaskAsync();
        var body = $$$"""{"hash": "{{{user.Hash}}}", "task_id": {{{taskId}}}, "field_id": "photo", "size": 10}""";
        var request = $"POST /v2/task/form/file/create HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(service.Client.BaseAddress!.Host, service.Client.BaseAddress.Port);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        var answer = await new StreamReader(stream).ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("\"code\":5", answer, StringComparison.Ordinal);
        Assert.Contains("Host", answer, StringComparison.Ordinal);
        Assert.Equal(0, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["file_count"]!.GetValue<long>());
    }

    public static TheoryData<string, string> BrokenMultipart => new()
    {
        { "other-boundary", "--real\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nTOKEN\r\n--real--\r\n" },
        { new string('b', 71), $"--{new string('b', 71)}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nTOKEN\r\n--{new string('b', 71)}--\r\n" },
        { "b", "--b\r\nContent-Disposition form-data name token\r\n\r\nTOKEN\r\n--b--\r\n" },
        { "b", "--b\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nTOKEN\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n\xFF\xD8\xFF and no end" },
        { "b", new string('p', 2 * 1024 * 1024) + "\r\n--b\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nTOKEN\r\n--b--\r\n" },
        { "b", "--b\r\nX-Nothing: here\r\n\r\nTOKEN\r\n--b--\r\n" },
    };

    [Theory]
    [MemberData(nameof(BrokenMultipart))]
    public async Task Broken_multipart_is_5_and_leaves_the_reservation_usable(string boundary, string body)
    {
        var (user, taskId) = await TaskAsync();
        var reservation = await user.ReserveAsync(taskId, "photo", 100);
        var content = new ByteArrayContent(Encoding.Latin1.GetBytes(body.Replace("TOKEN", reservation.Token, StringComparison.Ordinal)));
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");

        (await Envelope.ReadAsync(await service.Client.PostAsync("/v2/task/form/file/upload", content))).AssertError(5, HttpStatusCode.BadRequest);

        Assert.Equal("created", (await reservation.ReadFileAsync())["state"]!.GetValue<string>());
        (await reservation.UploadAsync(Uploads.JpegLike(100), "p.jpg")).AssertOk();
    }
}
