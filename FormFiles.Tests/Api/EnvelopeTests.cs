using System.Net;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FormFiles.Tests.Api;

[Collection(ServiceFixture.Collection)]
public sealed class EnvelopeTests(ServiceFixture service)
{
    private HttpClient Client => service.Client;

    [Fact]
    public async Task Success_is_the_action_fields_after_success_true()
    {
        var response = (await Client.CallAsync(new HttpRequestMessage(HttpMethod.Get, "/v2/health"))).AssertOk();

        Assert.StartsWith("""{"success":true,"storage":{"tables":"ok","blobs":"ok"},"sweep":{""", response.Raw);
        Assert.Equal(["success", "storage", "sweep", "pending", "webhooks"], response.Body.Select(p => p.Key));
    }

    [Fact]
    public async Task A_get_of_any_length_within_the_request_line_limit_gets_the_envelope_and_beyond_it_the_server_s_414()
    {
        var user = await Client.NewUserAsync();
        string Target(int length)
        {
            var prefix = $"/v2/task/list?hash={user.Hash}&external_id=";
            return prefix + new string('x', length - prefix.Length - "GET  HTTP/1.1\r\n".Length);
        }

        // Kestrel's 8 KiB default would refuse the first two without an envelope.
        foreach (var length in new[] { 9_000, 40_000, FormFiles.Api.RequestLimits.MaxRequestLineBytes - 64 })
        {
            var answer = await Client.CallAsync(new HttpRequestMessage(HttpMethod.Get, Target(length)));
            Assert.True(answer.Success || answer.Code == 7, answer.Raw); // An external id that long is refused by the action, in the envelope.
        }

        var refused = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Target(FormFiles.Api.RequestLimits.MaxRequestLineBytes + 1)));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, refused.StatusCode);
        Assert.Empty(await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_action_gives_111_with_404()
    {
        var response = (await Client.CallAsync(new HttpRequestMessage(HttpMethod.Post, "/v2/task/form/nothing")))
            .AssertError(111, HttpStatusCode.NotFound);

        Assert.Equal("""{"success":false,"status":{"code":111,"description":"Wrong handler: unknown action 'task/form/nothing'"}}""", response.Raw);
    }

    [Fact]
    public async Task Path_outside_v2_gives_111_with_404()
    {
        (await Client.CallAsync(new HttpRequestMessage(HttpMethod.Get, "/index.html"))).AssertError(111, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Action_name_tolerates_a_trailing_slash()
    {
        (await Client.CallAsync(new HttpRequestMessage(HttpMethod.Get, "/v2/health/"))).AssertOk();
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task Method_other_than_get_or_post_gives_112_with_405(string method)
    {
        var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/v2/health"));

        (await Envelope.ReadAsync(response)).AssertError(112, HttpStatusCode.MethodNotAllowed);
        Assert.Equal(["GET", "POST"], response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Every_response_carries_a_request_id()
    {
        var ok = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v2/health"));
        var error = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v2/nothing"));
        var outside = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/"));

        var ids = new[] { ok, error, outside }.Select(r => Assert.Single(r.Headers.GetValues("X-Request-Id"))).ToList();
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Equal(3, ids.Distinct().Count());
    }

    [Fact]
    public async Task A_sane_incoming_request_id_is_kept_and_an_odd_one_replaced()
    {
        var kept = new HttpRequestMessage(HttpMethod.Get, "/v2/health");
        kept.Headers.Add("X-Request-Id", "webhook-42.retry_1");
        var replaced = new HttpRequestMessage(HttpMethod.Get, "/v2/health");
        replaced.Headers.Add("X-Request-Id", "<script>" + new string('x', 80));

        Assert.Equal("webhook-42.retry_1", (await Client.CallAsync(kept)).RequestId);
        Assert.Matches("^[0-9a-f]{32}$", (await Client.CallAsync(replaced)).RequestId);
    }

    [Fact]
    public async Task Storage_that_fails_every_retry_gives_14_with_503()
    {
        var response = (await Client.PostJsonAsync("test/storage-down", new JsonObject())).AssertError(14, HttpStatusCode.ServiceUnavailable);

        Assert.DoesNotContain("127.0.0.1", response.Raw, StringComparison.Ordinal);
        using var raw = await Client.PostAsync("/v2/test/storage-down", null);
        Assert.Equal(TimeSpan.FromSeconds(2), raw.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Storage_without_a_credential_gives_14_with_503()
    {
        (await Client.PostJsonAsync("test/no-credential", new JsonObject())).AssertError(14, HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task An_answer_that_cannot_be_written_gives_6_in_the_envelope()
    {
        var response = (await Client.PostJsonAsync("test/unwritable", new JsonObject())).AssertError(6, HttpStatusCode.InternalServerError);

        Assert.Equal($"Unexpected error (request {response.RequestId})", response.Description);
    }

    [Fact]
    public async Task Unhandled_exception_gives_6_with_500_and_no_internals()
    {
        var response = (await Client.PostJsonAsync("test/fail", new JsonObject()))
            .AssertError(6, HttpStatusCode.InternalServerError);

        Assert.Equal($"Unexpected error (request {response.RequestId})", response.Description);
        Assert.DoesNotContain(TestActions.Fail.Secret, response.Raw, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", response.Raw, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", response.Raw, StringComparison.Ordinal);

        var logged = service.Factory.Services.GetFakeLogCollector().GetSnapshot()
            .Where(r => r.Level == LogLevel.Error && r.Exception is not null)
            .Where(r => r.Message.Contains(response.RequestId!, StringComparison.Ordinal));
        var record = Assert.Single(logged);
        Assert.Contains(TestActions.Fail.Secret, record.Exception!.Message, StringComparison.Ordinal);
    }
}
