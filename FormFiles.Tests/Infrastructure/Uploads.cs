using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace FormFiles.Tests.Infrastructure;

/// <summary>Reservations and the two ways to fill them, as a client does it.</summary>
public static class Uploads
{
    public sealed record Reservation(long FileId, string Token, Uri SasUrl, TestUser User);

    public static async Task<Reservation> ReserveAsync(this TestUser user, long taskId, string fieldId, long size, string? filename = null)
    {
        var parameters = new JsonObject { ["task_id"] = taskId, ["field_id"] = fieldId, ["size"] = size };
        if (filename is not null)
            parameters["filename"] = filename;
        var value = (await user.CallAsync("task/form/file/create", parameters)).AssertOk().Body["value"]!;
        return new Reservation(value["file_id"]!.GetValue<long>(), value["fields"]!["token"]!.GetValue<string>(), new Uri(value["sas_url"]!.GetValue<string>()), user);
    }

    public static async Task<HttpResponseMessage> PutAsync(this Reservation reservation, byte[] content)
    {
        using var http = new HttpClient();
        var put = new HttpRequestMessage(HttpMethod.Put, reservation.SasUrl) { Content = new ByteArrayContent(content) };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        return await http.SendAsync(put);
    }

    public static async Task<Envelope> UploadAsync(this HttpClient client, string? token, Stream content, string filename = "upload.bin")
    {
        using var form = new MultipartFormDataContent();
        if (token is not null)
            form.Add(new StringContent(token), "token");
        var file = new StreamContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", filename);
        return await Envelope.ReadAsync(await client.PostAsync("/v2/task/form/file/upload", form));
    }

    public static Task<Envelope> UploadAsync(this Reservation reservation, byte[] content, string filename = "upload.bin") =>
        reservation.User.Client.UploadAsync(reservation.Token, new MemoryStream(content), filename);

    /// <summary>The file with its precise state (<c>rejected</c> as it is, not as Navixy's <c>deleted</c>).</summary>
    public static async Task<JsonNode> ReadFileAsync(this Reservation reservation) =>
        (await reservation.User.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = reservation.FileId, ["precise_states"] = true })).AssertOk().Body["value"]!;

    /// <summary>Polls task/form/file/read until the state is not <c>created</c> (completion is asynchronous after a SAS PUT).</summary>
    public static async Task<JsonNode> WaitForCompletionAsync(this Reservation reservation)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30); // Only a failing wait lasts this long; a loaded machine may need it.
        while (true)
        {
            var file = await reservation.ReadFileAsync();
            if (file["state"]!.GetValue<string>() != "created" || DateTime.UtcNow > deadline)
                return file;
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Polls until <paramref name="condition"/> holds (or 30 s pass) and returns its last answer: what
    /// completion settles after the state change (quota, blob) follows it by a few storage calls.
    /// </summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30); // Only a failing wait lasts this long; a loaded machine may need it.
        while (!await condition() && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        return await condition();
    }

    /// <summary>Bytes that sniff as a JPEG (the magic number), padded to <paramref name="size"/>.</summary>
    public static byte[] JpegLike(int size)
    {
        var bytes = new byte[size];
        new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }.CopyTo(bytes, 0);
        return bytes;
    }

    public static byte[] Asset(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Assets", name));
}
