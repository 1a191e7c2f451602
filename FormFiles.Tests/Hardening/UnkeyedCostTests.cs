using System.Net;
using System.Net.Http.Headers;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Hardening;

/// <summary>
/// Calls that name no key, or a key nobody issued, take from a bucket before they touch storage: made-up dialect keys
/// share the unseen keys' bucket, made-up upload tokens the bucket of their address, and health answers from one probe.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class UnkeyedCostTests(ServiceFixture service)
{
    private FormFilesFactory Host(CallStorageRequests counter) => new(
        new Dictionary<string, string?>(service.NewStorage().Settings)
        {
            ["FormFiles:RateLimit:PermitsPerSecond"] = "1",
            ["FormFiles:RateLimit:Burst"] = "2",
        },
        counter.AddTo);

    [Theory]
    [InlineData("/organizations/1/file/{0}", "Bearer")] // Tallyfy: its own key lookup, admitted first.
    [InlineData("/api/organizations/1/assets/{0}", "Bearer")] // Tallyfy under its own base path.
    [InlineData("/api/2.0/project/task/{0}/files", null)] // ONLYOFFICE: through the canonical calls, the first of which admits.
    [InlineData("/api/2.0/project/task/{0}/files.json", null)] // ONLYOFFICE with its .json suffix.
    [InlineData("/api/2.0/files/{0}/upload", null, "POST")] // ONLYOFFICE's upload: its body is not read into storage before the reservation admits.
    [InlineData("/api/organizations/1/checklists/{0}", "Bearer", "PUT")] // Tallyfy's kick-off form.
    public async Task Made_up_dialect_keys_cost_at_most_the_unseen_keys_bucket(string route, string? scheme, string method = "GET")
    {
        var counter = new CallStorageRequests();
        await using var host = Host(counter);
        var client = host.CreateClient();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, route, i + 1));
            if (method != "GET")
                request.Content = new StringContent("""{"prerun": [{"id": "note", "value": "x"}]}""", System.Text.Encoding.UTF8, "application/json");
            request.Headers.TryAddWithoutValidation("Authorization", scheme is null ? $"{i:x32}" : $"{scheme} {i:x32}");
            return (await client.SendAsync(request)).StatusCode;
        }));
        var elapsed = watch.Elapsed.TotalSeconds;

        // The unseen keys' bucket: 100 times a key's burst (2) at once, then 100 times its rate (1 a second). A lookup for each key it admits, none for the rest.
        var admitted = statuses.Count(s => s != HttpStatusCode.TooManyRequests);
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        Assert.InRange(admitted, 1, 200 + (100 * elapsed) + 10);
        Assert.InRange(counter.Count, 1, admitted);
    }

    [Fact]
    public async Task Made_up_upload_tokens_cost_at_most_their_address_s_bucket()
    {
        var counter = new CallStorageRequests();
        await using var host = Host(counter);
        var client = host.CreateClient();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var answers = new List<Envelope>();
        for (var i = 0; i < 50; i++)
            answers.Add(await client.UploadAsync($"{i + 1}.9999999999.{new string('A', 43)}", new MemoryStream(new byte[10])));
        var elapsed = watch.Elapsed.TotalSeconds;

        // A key's rate for the address (burst 2, one a second): for each token it admits (4), the file's row and its block's; 15 for the others.
        var admitted = answers.Where(a => a.Code != 15).ToList();
        Assert.All(admitted, a => Assert.Equal(4, a.Code));
        Assert.InRange(admitted.Count, 1, 2 + elapsed + 1);
        Assert.InRange(counter.Count, 1, 2 * admitted.Count);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_client_address_has_its_own_bucket_whatever_it_forges()
    {
        await using var host = new FormFilesFactory(new Dictionary<string, string?>(service.NewStorage().Settings)
        {
            ["FormFiles:RateLimit:PermitsPerSecond"] = "1",
            ["FormFiles:RateLimit:Burst"] = "2",
            ["FormFiles:RateLimit:TrustedProxies"] = "1",
        });
        var client = host.CreateClient();
        async Task<int> UploadFromAsync(string forwardedFor)
        {
            using var form = new MultipartFormDataContent { { new StringContent($"1.9999999999.{new string('A', 43)}"), "token" }, { new ByteArrayContent(new byte[10]), "file", "a.bin" } };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/task/form/file/upload") { Content = form };
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
            return (await Envelope.ReadAsync(await client.SendAsync(request))).Code;
        }

        // One client, a new forged entry in front each time: still the one bucket of the address the proxy wrote.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var codes = new List<int>();
        for (var i = 0; i < 12; i++)
            codes.Add(await UploadFromAsync($"192.0.2.{i}, 198.51.100.1"));
        Assert.InRange(codes.Count(c => c != 15), 1, 2 + watch.Elapsed.TotalSeconds + 1);

        // Another client has a bucket of its own: its burst is whole.
        var other = new[] { await UploadFromAsync("198.51.100.2"), await UploadFromAsync("198.51.100.2") };
        Assert.Equal([4, 4], other);
    }

    [Fact]
    public async Task Health_answers_every_call_of_a_probe_s_lifetime_from_that_probe()
    {
        var counter = new CallStorageRequests();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = new FormFilesFactory(new Dictionary<string, string?>(service.NewStorage().Settings), services =>
        {
            counter.AddTo(services);
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<TimeProvider>(services, clock);
        });
        var client = host.CreateClient();
        var probe = CallStorageRequests.Of(await client.GetAsync("/v2/health"));
        for (var i = 0; i < 59; i++) // Within health's burst (100), which refills on the real clock.
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/health")).StatusCode);
        Assert.True(probe > 0);
        Assert.Equal(probe, counter.Count);

        // The probe's lifetime is on the host's clock: past it, the next call probes again.
        clock.Advance(FormFiles.Health.HealthAction.ProbeLifetime);
        Assert.True(CallStorageRequests.Of(await client.GetAsync("/v2/health")) > 0);
    }
}
