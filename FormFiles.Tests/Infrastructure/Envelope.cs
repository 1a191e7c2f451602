using System.Net;
using System.Text.Json.Nodes;

namespace FormFiles.Tests.Infrastructure;

/// <summary>Reads a response as the Navixy envelope and asserts on it.</summary>
public sealed record Envelope(HttpStatusCode HttpStatus, JsonObject Body, string? RequestId, string Raw)
{
    public bool Success => Body["success"]!.GetValue<bool>();

    public int Code => Body["status"]!["code"]!.GetValue<int>();

    public string Description => Body["status"]!["description"]!.GetValue<string>();

    /// <summary>The response's headers (not its content's).</summary>
    public System.Net.Http.Headers.HttpResponseHeaders? Headers { get; init; }

    /// <summary>A response header's one value, or null.</summary>
    public string? Header(string name) => Headers is not null && Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    public static async Task<Envelope> ReadAsync(HttpResponseMessage response)
    {
        var raw = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(raw)?.AsObject() ?? throw new Xunit.Sdk.XunitException($"Not a JSON object: {raw}");
        var requestId = response.Headers.TryGetValues("X-Request-Id", out var values) ? values.Single() : null;
        return new Envelope(response.StatusCode, body, requestId, raw) { Headers = response.Headers };
    }

    /// <summary>Asserts an error envelope with exactly <c>success</c> and <c>status {code, description}</c>.</summary>
    public Envelope AssertError(int code, HttpStatusCode httpStatus)
    {
        Assert.True(HttpStatus == httpStatus, $"HTTP {(int)HttpStatus}, expected {(int)httpStatus}: {Raw}");
        Assert.False(Success, Raw);
        Assert.Equal(code, Code);
        Assert.False(string.IsNullOrWhiteSpace(Description), Raw);
        Assert.Equal(["success", "status"], Body.Select(p => p.Key));
        Assert.Equal(["code", "description"], Body["status"]!.AsObject().Select(p => p.Key));
        return this;
    }

    /// <summary>Asserts a 242 envelope: <c>success</c>, <c>status</c> and a non-empty <c>errors</c> list, HTTP 400.</summary>
    public Envelope AssertErrorWithFields(int code)
    {
        Assert.True(HttpStatus == HttpStatusCode.BadRequest, $"HTTP {(int)HttpStatus}: {Raw}");
        Assert.False(Success, Raw);
        Assert.Equal(code, Code);
        Assert.Equal(["success", "status", "errors"], Body.Select(p => p.Key));
        Assert.NotEmpty(Body["errors"]!.AsArray());
        return this;
    }

    public Envelope AssertOk()
    {
        Assert.True(HttpStatus == HttpStatusCode.OK, $"HTTP {(int)HttpStatus}: {Raw}");
        Assert.True(Success, Raw);
        return this;
    }
}
