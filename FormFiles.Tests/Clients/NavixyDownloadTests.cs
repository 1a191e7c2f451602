using System.Net;
using System.Text.Json.Nodes;
using System.Web;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Clients;

/// <summary>A Navixy client stores <c>download_url</c> and uses it days later; it must not open another file, nor a deleted one.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class NavixyDownloadTests(ServiceFixture service)
{
    private static JsonArray Fields() => [new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" }];

    [Fact]
    public async Task A_stored_download_url_serves_the_bytes_days_later_until_the_file_is_deleted()
    {
        var clock = new ShiftedClock();
        await using var host = FormFilesFactory.OnClock(service.NewStorage(), clock);
        var user = await host.CreateClient().NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields()));
        var reservation = await user.ReserveAsync(task, "photo", 1000, "door.jpg");
        var bytes = Uploads.JpegLike(700);
        (await reservation.UploadAsync(bytes, "door.jpg")).AssertOk();
        var stored = new Uri((await reservation.ReadFileAsync())["download_url"]!.GetValue<string>());

        Assert.Null(HttpUtility.ParseQueryString(stored.Query)["se"]); // No expiry of its own.
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        clock.Offset = TimeSpan.FromDays(3); // Far past any SAS the service signed when the link was read.
        using (var found = await browser.GetAsync(stored))
        {
            Assert.Equal(HttpStatusCode.Found, found.StatusCode);
            var expiry = HttpUtility.ParseQueryString(found.Headers.Location!.Query)["se"]!;
            Assert.True(DateTimeOffset.Parse(expiry, null, System.Globalization.DateTimeStyles.AssumeUniversal) > clock.GetUtcNow(), expiry);
        }

        clock.Offset = TimeSpan.Zero; // Azurite judges a SAS by its own clock: fetch a fresh one signed now.
        using (var found = await browser.GetAsync(stored))
        {
            Assert.Equal("r", HttpUtility.ParseQueryString(found.Headers.Location!.Query)["sp"]);
            Assert.Equal(bytes, await browser.GetByteArrayAsync(found.Headers.Location));
        }

        (await user.CallAsync("task/form/file/delete", new JsonObject { ["file_id"] = reservation.FileId })).AssertOk();
        (await Envelope.ReadAsync(await browser.GetAsync(stored))).AssertError(201, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_download_url_cannot_be_turned_into_another_file_s()
    {
        var user = await service.Client.NewUserAsync();
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields()));
        var first = await user.ReserveAsync(task, "photo", 1000, "a.jpg");
        var second = await user.ReserveAsync(task, "photo", 1000, "b.jpg");
        (await first.UploadAsync(Uploads.JpegLike(600), "a.jpg")).AssertOk();
        (await second.UploadAsync(Uploads.JpegLike(650), "b.jpg")).AssertOk();
        var link = new UriBuilder((await first.ReadFileAsync())["download_url"]!.GetValue<string>());
        var query = HttpUtility.ParseQueryString(link.Query);

        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using (var posted = await browser.PostAsync(new Uri(link.Uri, "/v2/file/download"), new FormUrlEncodedContent([new("id", query["id"]!), new("sig", query["sig"]!)])))
            Assert.Equal(HttpStatusCode.Found, posted.StatusCode); // The link's own parameters, POSTed as a form, go to the same place.
        using (var asJson = new HttpRequestMessage(HttpMethod.Get, link.Uri) { Headers = { { "Accept", "application/json" } } })
        {
            var answer = (await Envelope.ReadAsync(await browser.SendAsync(asJson))).AssertOk(); // A client that takes only JSON gets the URL.
            Assert.Equal(Uploads.JpegLike(600), await browser.GetByteArrayAsync(new Uri(answer.Body["url"]!.GetValue<string>())));
        }
        foreach (var (id, sig) in new[] { (second.FileId.ToString(), query["sig"]!), (query["id"]!, query["sig"]![..^1] + (query["sig"]![^1] == 'A' ? "B" : "A")), (query["id"]!, "") })
        {
            link.Query = $"id={id}&sig={Uri.EscapeDataString(sig)}";
            var answer = await Envelope.ReadAsync(await browser.GetAsync(link.Uri));
            Assert.False(answer.Success, answer.Raw);
            Assert.Contains(answer.Code, new[] { 7, 11 });
        }
    }

    [Fact]
    public async Task A_made_up_link_costs_no_storage_and_a_real_one_is_limited_per_link()
    {
        var counter = new CallStorageRequests();
        await using var host = new FormFilesFactory(
            new Dictionary<string, string?>(service.NewStorage().Settings)
            {
                ["FormFiles:RateLimit:PermitsPerSecond"] = "1",
                ["FormFiles:RateLimit:Burst"] = "3",
            },
            counter.AddTo);
        using var client = host.CreateClient();
        var before = counter.Count; // The first calls of the process: the key was read at start-up, a signature is checked in memory.
        foreach (var forged in Enumerable.Range(0, 50).Select(n => $"/v2/file/download?id={n + 1}&sig=forged{n}"))
            (await Envelope.ReadAsync(await client.GetAsync(forged))).AssertError(11, HttpStatusCode.Forbidden);
        Assert.Equal(before, counter.Count);

        var owner = await client.NewUserAsync();
        (await client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = owner.Id, ["rate_limit_per_second"] = 1000, ["rate_limit_burst"] = 1000 })).AssertOk(); // The owner's own calls are not what is limited.
        var task = await owner.CreateTaskAsync(await owner.CreateTemplateAsync(Fields()));
        var links = new List<Uri>();
        foreach (var name in new[] { "a.jpg", "b.jpg" })
        {
            var reservation = await owner.ReserveAsync(task, "photo", 1000, name);
            (await reservation.UploadAsync(Uploads.JpegLike(600), name)).AssertOk();
            links.Add(new Uri((await reservation.ReadFileAsync())["download_url"]!.GetValue<string>()));
        }

        // One link used in a loop: its burst, then 429 costing nothing, while another link still opens.
        var answers = new List<Envelope>();
        for (var i = 0; i < 200 && answers.Count(a => a.HttpStatus == HttpStatusCode.TooManyRequests) < 5; i++)
        {
            using var asJson = new HttpRequestMessage(HttpMethod.Get, links[0]) { Headers = { { "Accept", "application/json" } } };
            var spent = counter.Count;
            var answer = await Envelope.ReadAsync(await client.SendAsync(asJson));
            if (answer.HttpStatus == HttpStatusCode.TooManyRequests)
            {
                answer.AssertError(15, HttpStatusCode.TooManyRequests);
                Assert.Equal(spent, counter.Count);
            }

            answers.Add(answer);
        }

        Assert.Equal(5, answers.Count(a => a.HttpStatus == HttpStatusCode.TooManyRequests));
        Assert.True(answers.Take(3).All(a => a.Success));
        using var other = new HttpRequestMessage(HttpMethod.Get, links[1]) { Headers = { { "Accept", "application/json" } } };
        (await Envelope.ReadAsync(await client.SendAsync(other))).AssertOk();
    }
}
