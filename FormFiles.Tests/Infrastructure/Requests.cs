using System.Net.Http.Json;
using System.Text.Json.Nodes;

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
}
