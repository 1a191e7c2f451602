using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Dialects;

/// <summary>
/// ONLYOFFICE's own upload, <c>POST /api/2.0/files/{folderId}/upload</c>, as its documented samples send it: multipart with
/// the file in a part named <c>file</c> (the manage-files sample's <c>files={'file': (path, file, 'application/octet-stream')}</c>)
/// or a single-file upload (the body is the file, named by <c>Content-Disposition</c>); then the returned id attached with
/// <c>POST /api/2.0/project/task/{taskid}/files</c>. A folder is a task.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class OnlyOfficeUploadTests(ServiceFixture service)
{
    [Fact]
    public async Task The_documented_multipart_upload_then_the_attach_put_the_file_on_the_task()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(label: "Fit the kitchen");
        var bytes = Uploads.JpegLike(5000);

        var (status, body) = await MultipartAsync(user.Hash, task, bytes, "plans/kitchen.jpg");

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(0, body["status"]!.GetValue<int>());
        var file = body["response"]!;
        Assert.Equal("kitchen.jpg", file["title"]!.GetValue<string>());
        Assert.Equal(".jpg", file["fileExst"]!.GetValue<string>());
        Assert.Equal(5000, file["pureContentLength"]!.GetValue<long>());
        Assert.Equal(task, file["folderId"]!.GetValue<long>());
        Assert.Equal(5000, Stats(await user.CallAsync("file/stats/read")));  // Reserved at the most, settled to its size.

        var attached = await AttachAsync(user.Hash, task, file["id"]!.GetValue<long>());

        Assert.Equal(HttpStatusCode.OK, attached.Status);
        var shown = attached.Body["response"]!["files"]!.AsArray().Single()!;
        Assert.Equal(file["id"]!.GetValue<long>(), shown["id"]!.GetValue<long>());
        using var http = new HttpClient();
        Assert.Equal(bytes, await http.GetByteArrayAsync(shown["viewUrl"]!.GetValue<string>()));
        var taskShape = attached.Body["response"]!;
        Assert.False(taskShape["isClosed"]!.GetValue<bool>());
        Assert.Equal(taskShape["createdBy"]!.ToJsonString(), taskShape["createBy"]!.ToJsonString()); // Seed 003's name beside the Projects one.
        Assert.Equal(taskShape["createdBy"]!.ToJsonString(), taskShape["responsible"]!.ToJsonString());
    }

    [Fact]
    public async Task A_single_file_upload_takes_the_body_and_its_content_disposition_with_the_json_suffix()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync();
        byte[] bytes = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. new byte[3202]]; // A PNG's signature: the name's extension is checked against the bytes.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/2.0/files/{task}/upload.json") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = "\"file1.png\"" };
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {user.Hash}"); // DocSpace's form; the raw key works as well.

        var (status, body) = await ReadAsync(await service.Client.SendAsync(request));

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal("file1.png", body["response"]!["title"]!.GetValue<string>());
        Assert.Equal(3210, body["response"]!["pureContentLength"]!.GetValue<long>());
        var listed = (await user.CallAsync("task/file/list", new JsonObject { ["task_id"] = task })).AssertOk().Body["list"]!.AsArray().Single()!;
        Assert.False(listed["bindings"]!["task"]!["attached"]!.GetValue<bool>()); // Uploaded into the folder, not yet attached.
    }

    [Fact]
    public async Task Refused_uploads_answer_in_onlyoffices_envelope_and_keep_nothing()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync();
        var other = await service.Client.NewUserAsync();
        var theirs = await other.CreateTaskAsync();
        var reader = await service.Client.NewKeyAsync(user.Id, "task_view");

        Assert.Equal(HttpStatusCode.Unauthorized, (await MultipartAsync(null, task, new byte[10], "a.bin")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await MultipartAsync(user.Hash, theirs, new byte[10], "a.bin")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(user.Hash, "/api/2.0/files/@my/upload", new ByteArrayContent(new byte[10]))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await MultipartAsync(reader, task, new byte[10], "a.bin")).Status);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await MultipartAsync(user.Hash, task, new byte[(16 * 1024 * 1024) + 1], "big.bin")).Status);
        var broken = new StringContent("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\nno end");
        broken.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
        var (brokenStatus, brokenBody) = await SendAsync(user.Hash, $"/api/2.0/files/{task}/upload", broken);
        Assert.True(brokenStatus == HttpStatusCode.BadRequest, brokenBody.ToJsonString());
        Assert.Equal(1, brokenBody["status"]!.GetValue<int>());
        var noFile = new MultipartFormDataContent { { new StringContent("x"), "createNewIfExist" } };
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(user.Hash, $"/api/2.0/files/{task}/upload", noFile)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(user.Hash, $"/api/2.0/files/{task}/upload", new ByteArrayContent([]))).Status); // An empty single-file body.
        using (var options = new HttpRequestMessage(HttpMethod.Options, $"/api/2.0/files/{task}/upload") { Content = new ByteArrayContent(new byte[10]) })
        {
            options.Headers.TryAddWithoutValidation("Authorization", user.Hash);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, (await service.Client.SendAsync(options)).StatusCode); // Not a CORS preflight: not an upload either.
        }

        Assert.Empty((await user.CallAsync("task/file/list", new JsonObject { ["task_id"] = task })).AssertOk().Body["list"]!.AsArray());
        Assert.Equal(0, Stats(await user.CallAsync("file/stats/read")));
    }

    [Fact]
    public async Task Parallel_uploads_into_one_folder_hold_its_six_unattached_slots_and_the_quota()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => MultipartAsync(user.Hash, task, new byte[1000 + i], $"f{i}.bin")));

        var accepted = answers.Where(a => a.Status == HttpStatusCode.OK).ToList();
        Assert.Equal(6, accepted.Count);
        Assert.All(answers.Except(accepted), a => Assert.True(a.Status == HttpStatusCode.BadRequest && a.Body["error"]!["message"]!.GetValue<string>().Length > 0, a.Body.ToJsonString()));
        Assert.Equal(accepted.Sum(a => a.Body["response"]!["pureContentLength"]!.GetValue<long>()), Stats(await user.CallAsync("file/stats/read")));
        Assert.Equal(6, (await user.CallAsync("task/file/list", new JsonObject { ["task_id"] = task })).AssertOk().Body["list"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_multipart_upload_reserves_no_more_than_its_body_so_a_small_quota_takes_a_small_file()
    {
        var user = await service.Client.NewUserAsync();
        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["quota_bytes"] = 64 * 1024 })).AssertOk();
        var task = await user.CreateTaskAsync();

        var (status, body) = await MultipartAsync(user.Hash, task, new byte[2000], "small.bin");

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(2000, Stats(await user.CallAsync("file/stats/read")));
    }

    private static long Stats(Envelope stats) => stats.AssertOk().Body["value"]!["total_size"]!.GetValue<long>();

    private async Task<(HttpStatusCode Status, JsonObject Body)> MultipartAsync(string? key, long folder, byte[] bytes, string path)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await SendAsync(key, $"/api/2.0/files/{folder.ToString(CultureInfo.InvariantCulture)}/upload", new MultipartFormDataContent { { file, "file", path } });
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> AttachAsync(string key, long task, long file)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/2.0/project/task/{task}/files") { Content = JsonContent.Create(new JsonObject { ["taskid"] = task, ["files"] = new JsonArray(file) }) };
        request.Headers.TryAddWithoutValidation("Authorization", key);
        return await ReadAsync(await service.Client.SendAsync(request));
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(string? key, string path, HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (key is not null)
            request.Headers.TryAddWithoutValidation("Authorization", key);
        return await ReadAsync(await service.Client.SendAsync(request));
    }

    private static async Task<(HttpStatusCode, JsonObject)> ReadAsync(HttpResponseMessage response) =>
        (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
}
