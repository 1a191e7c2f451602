using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FormFiles.Api;

/// <summary>The one set of JSON conventions every response uses: snake_case names, as Navixy.</summary>
public static class ApiJson
{
    /// <summary>For what is stored, delivered or handed to a dialect: dates in UTC.</summary>
    public static JsonSerializerOptions Options { get; } = Make(new ApiDate.UtcConverter());

    /// <summary>For a <c>/v2/</c> answer: dates as the call asks (<see cref="ApiDate.Current"/>).</summary>
    public static JsonSerializerOptions Answers { get; } = Make(new ApiDate.Converter());

    private static JsonSerializerOptions Make(JsonConverter dates) => new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        // Responses are application/json, never embedded in HTML: keep quotes and non-ASCII text readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), dates },
    };
}
