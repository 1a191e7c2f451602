using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FormFiles.Api;

namespace FormFiles.Tests.Infrastructure;

/// <summary>The three ways a Navixy client sends the same call.</summary>
public static class Requests
{
    public static async Task<Envelope> PostJsonAsync(this HttpClient client, string action, JsonObject body) =>
        await Envelope.ReadAsync(await client.PostAsJsonAsync($"/v2/{action}", body));

    public static async Task<Envelope> PostFormAsync(this HttpClient client, string action, IEnumerable<KeyValuePair<string, string>> fields) =>
        await Envelope.ReadAsync(await client.PostAsync($"/v2/{action}", new FormUrlEncodedContent(fields)));

    public static async Task<Envelope> GetQueryAsync(this HttpClient client, string action, IEnumerable<KeyValuePair<string, string>> fields) =>
        await Envelope.ReadAsync(await client.GetAsync($"/v2/{action}?{Query(fields)}"));

    public static async Task<Envelope> CallAsync(this HttpClient client, HttpRequestMessage request) =>
        await Envelope.ReadAsync(await client.SendAsync(request));

    public static string Query(IEnumerable<KeyValuePair<string, string>> fields) =>
        string.Join("&", fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}"));

    /// <summary>Bytes at the end of the request-line limit where Kestrel's own count, not this one, decides.</summary>
    private const int RequestLineSlack = 32;

    /// <summary>
    /// Whether the web server refused a sent request for its request line before the service saw it, as it must
    /// beyond <see cref="RequestLimits.MaxRequestLineBytes"/>: HTTP 414 with no body (asserted). Within the limit,
    /// it is the service's to answer.
    /// </summary>
    public static bool RefusedForItsRequestLine(HttpRequestMessage sent, Uri baseAddress, HttpResponseMessage response, string raw)
    {
        var target = sent.RequestUri!.IsAbsoluteUri ? sent.RequestUri : new Uri(baseAddress, sent.RequestUri);
        var line = Encoding.ASCII.GetByteCount($"{sent.Method} {target.PathAndQuery} HTTP/1.1\r\n");
        var refused = response.StatusCode == HttpStatusCode.RequestUriTooLong && raw.Length == 0;
        if (line > RequestLimits.MaxRequestLineBytes)
        {
            Assert.True(refused, $"a request line of {line} bytes got {(int)response.StatusCode}: {raw}");
            return true;
        }

        return refused && line > RequestLimits.MaxRequestLineBytes - RequestLineSlack;
    }
}
