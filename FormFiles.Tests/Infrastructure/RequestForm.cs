using System.Text.Json.Nodes;

namespace FormFiles.Tests.Infrastructure;

/// <summary>The three ways a Navixy client may send one call (design §4).</summary>
public enum RequestForm
{
    Json,
    Form,
    Query,
}

public static class RequestForms
{
    public static TheoryData<RequestForm> All => new() { RequestForm.Json, RequestForm.Form, RequestForm.Query };

    /// <summary>Sends <paramref name="parameters"/> as <paramref name="form"/>: nested objects and arrays become JSON text in forms and queries.</summary>
    public static async Task<Envelope> CallAsync(this HttpClient client, string action, JsonObject parameters, RequestForm form = RequestForm.Json, IReadOnlyDictionary<string, string>? headers = null)
    {
        var fields = parameters.Select(p => KeyValuePair.Create(p.Key, p.Value switch
        {
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            null => "null",
            var node => node.ToJsonString(),
        })).ToList();
        var request = form switch
        {
            RequestForm.Json => new HttpRequestMessage(HttpMethod.Post, $"/v2/{action}") { Content = System.Net.Http.Json.JsonContent.Create(parameters) },
            RequestForm.Form => new HttpRequestMessage(HttpMethod.Post, $"/v2/{action}") { Content = new FormUrlEncodedContent(fields) },
            _ => new HttpRequestMessage(HttpMethod.Get, $"/v2/{action}?{Requests.Query(fields)}"),
        };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            request.Headers.TryAddWithoutValidation(name, value);
        return await client.CallAsync(request);
    }
}
