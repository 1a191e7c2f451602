using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace FormFiles.Api;

/// <summary>
/// The parameters of one API call, read the same way from a JSON body, a form-urlencoded body or
/// the query string (design §4). Body values override query values. Nested objects and arrays
/// arrive as JSON text in forms and query strings, and as JSON values in a JSON body.
/// Every getter answers 7 naming the parameter when the value is missing or of the wrong type.
/// </summary>
public sealed class ApiParameters
{
    /// <summary>The largest API call body accepted; a larger one gets 9.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    private const string HashName = "hash";
    private const string AuthorizationScheme = "NVX ";
    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 32 };

    private readonly Dictionary<string, Value> values;
    private readonly string? authorization;
    private readonly string prefix;

    private ApiParameters(Dictionary<string, Value> values, string? authorization, string prefix = "")
    {
        this.values = values;
        this.authorization = authorization;
        this.prefix = prefix;
    }

    /// <summary>A parameter as it arrived: text (form, query) or a JSON value (JSON body).</summary>
    private readonly record struct Value(string? Text, JsonElement Json)
    {
        public bool IsNull => Text is null && Json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;
    }

    public static async Task<ApiParameters> ReadAsync(HttpRequest request, bool readBody, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, Value>(StringComparer.Ordinal);
        AddText(values, request.Query);
        if (readBody && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)) // POST here; a dialect PUT too
        {
            var body = await ReadBodyAsync(request, cancellationToken);
            if (body.Length > 0)
                AddBody(values, request.ContentType, body);
        }

        return new ApiParameters(values, request.Headers.Authorization.ToString());
    }

    /// <summary>Parameters a dialect translated into a canonical call, as a JSON body would bring them.</summary>
    public static ApiParameters Of(System.Text.Json.Nodes.JsonObject parameters)
    {
        var values = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (var (name, node) in parameters)
            values[name] = new Value(null, JsonSerializer.SerializeToElement(node));
        return new ApiParameters(values, null);
    }

    /// <summary>The members of a JSON object parameter, read with the same getters; errors name them as <c>parent.member</c>.</summary>
    public ApiParameters Nested(string name)
    {
        var json = RequiredObject(name);
        var members = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (var property in json.EnumerateObject())
            members[property.Name] = new Value(null, property.Value);
        return new ApiParameters(members, null, $"{prefix}{name}.");
    }

    public string? OptionalString(string name)
    {
        if (!TryGet(name, out var value))
            return null;
        if (value.Text is not null)
            return value.Text;
        return value.Json.ValueKind == JsonValueKind.String
            ? value.Json.GetString()
            : throw ApiException.InvalidParameter(prefix + name, "must be a string");
    }

    public string RequiredString(string name) => OptionalString(name) ?? throw Missing(name);

    public long? OptionalInt64(string name)
    {
        if (!TryGet(name, out var value))
            return null;
        if (value.Text is not null)
        {
            return long.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw ApiException.InvalidParameter(prefix + name, "must be an integer");
        }

        return JsonValues.TryGetInt64(value.Json, out var number)
            ? number
            : throw ApiException.InvalidParameter(prefix + name, "must be an integer");
    }

    public long RequiredInt64(string name) => OptionalInt64(name) ?? throw Missing(name);

    /// <summary>An integer parameter when it is one, else null (absent or malformed: the action refuses it itself).</summary>
    public long? FindInt64(string name) =>
        !TryGet(name, out var value) ? null
        : value.Text is not null ? (long.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed : null)
        : JsonValues.TryGetInt64(value.Json, out var number) ? number : null;

    public bool? OptionalBoolean(string name)
    {
        if (!TryGet(name, out var value))
            return null;
        return (value.Text, value.Json.ValueKind) switch
        {
            ("true", _) or (null, JsonValueKind.True) => true,
            ("false", _) or (null, JsonValueKind.False) => false,
            _ => throw ApiException.InvalidParameter(prefix + name, "must be true or false"),
        };
    }

    /// <summary>A JSON object parameter (a JSON value, or JSON text in a form or query).</summary>
    public JsonElement? OptionalObject(string name) => OptionalJson(name, JsonValueKind.Object, "must be a JSON object");

    public JsonElement RequiredObject(string name) => OptionalObject(name) ?? throw Missing(name);

    /// <summary>A JSON array parameter (a JSON value, or JSON text in a form or query).</summary>
    public JsonElement? OptionalArray(string name) => OptionalJson(name, JsonValueKind.Array, "must be a JSON array");

    public JsonElement RequiredArray(string name) => OptionalArray(name) ?? throw Missing(name);

    /// <summary>
    /// The API key, looked up in this order: <c>hash</c> in the body, <c>hash</c> in the query,
    /// then <c>Authorization: NVX &lt;hash&gt;</c>. Absent or malformed gives 3.
    /// </summary>
    public string RequireHash()
    {
        var hash = GivenHash();
        if (string.IsNullOrEmpty(hash))
            throw new ApiException(ErrorCode.WrongHash, "Wrong hash: pass the API key as 'hash' or in 'Authorization: NVX <hash>'");
        return IsWellFormedHash(hash)
            ? hash
            : throw new ApiException(ErrorCode.WrongHash, "Wrong hash: an API key is 32 lowercase hexadecimal characters");
    }

    /// <summary>The API key when one is given and well formed; null otherwise (the action answers 3 itself).</summary>
    public string? FindHash() => GivenHash() is { } hash && IsWellFormedHash(hash) ? hash : null;

    /// <summary>Whether <paramref name="name"/> was sent as an explicit JSON <c>null</c> (which clears a setting, where absent leaves it).</summary>
    public bool IsExplicitNull(string name) =>
        values.TryGetValue(name, out var value) && value.Text is null && value.Json.ValueKind == JsonValueKind.Null;

    /// <summary>
    /// What a call asks for, whatever form it came in: SHA-256 over the action and every parameter but the
    /// hash, sorted by name, with strings by their value and JSON by its compact text (so that a quoted
    /// number, a form field and a JSON number of the same value agree).
    /// </summary>
    public string Fingerprint(string action)
    {
        var text = new StringBuilder(action).Append('\n');
        foreach (var (name, value) in values.Where(v => v.Key != HashName && !v.Value.IsNull).OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            var canonical = Canonical(value);
            text.Append(name.Length).Append(':').Append(name).Append(canonical.Length).Append(':').Append(canonical); // Length-prefixed: no two sets of parameters read the same.
        }

        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string Canonical(Value value)
    {
        if (value.Text is { } text)
        {
            if (text.Length == 0 || text[0] is not ('{' or '['))
                return text;
            try
            {
                using var document = JsonDocument.Parse(text, JsonOptions);
                return JsonValues.FindInvalidText(document.RootElement) is null ? JsonSerializer.Serialize(document.RootElement) : text;
            }
            catch (JsonException)
            {
                return text; // Not JSON (the action answers 7 if it wanted JSON).
            }
        }

        // A JSON body with text that is not valid Unicode was refused (5) when it was read.
        return value.Json.ValueKind == JsonValueKind.String ? value.Json.GetString()! : JsonSerializer.Serialize(value.Json);
    }

    private string? GivenHash()
    {
        var hash = values.TryGetValue(HashName, out var value) && !value.IsNull
            ? value.Text ?? (value.Json.ValueKind == JsonValueKind.String ? value.Json.GetString() : string.Empty)
            : null;
        if (string.IsNullOrEmpty(hash) && authorization is { } header
            && header.StartsWith(AuthorizationScheme, StringComparison.OrdinalIgnoreCase))
        {
            hash = header[AuthorizationScheme.Length..].Trim();
        }

        return hash;
    }

    internal static bool IsWellFormedHash(string hash) =>
        hash.Length == 32 && hash.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private JsonElement? OptionalJson(string name, JsonValueKind kind, string problem)
    {
        if (!TryGet(name, out var value))
            return null;
        var json = value.Json;
        if (value.Text is not null)
        {
            try
            {
                using var document = JsonDocument.Parse(value.Text, JsonOptions);
                json = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                throw ApiException.InvalidParameter(prefix + name, problem);
            }

            if (JsonValues.FindInvalidText(json) is { } at)
                throw ApiException.InvalidParameter(prefix + name, $"holds text that is not valid Unicode (at '{at}')");
        }

        return json.ValueKind == kind ? json : throw ApiException.InvalidParameter(prefix + name, problem);
    }

    /// <summary>Present and not null; empty text counts as absent, as HTML forms send it.</summary>
    private bool TryGet(string name, out Value value) =>
        values.TryGetValue(name, out value) && !value.IsNull && value.Text is not "";

    private ApiException Missing(string name) => ApiException.InvalidParameter(prefix + name, "is required");

    private static void AddText(Dictionary<string, Value> values, IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> pairs)
    {
        foreach (var (key, text) in pairs)
            values[key] = new Value(text.Count > 0 ? text[^1] ?? string.Empty : string.Empty, default);
    }

    private static void AddBody(Dictionary<string, Value> values, string? contentType, byte[] body)
    {
        _ = MediaTypeHeaderValue.TryParse(contentType, out var mediaType);
        var media = mediaType?.MediaType.Value;
        if (string.Equals(media, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            if (mediaType!.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
                throw new ApiException(ErrorCode.WrongRequestFormat, "Wrong request format: JSON must be UTF-8");
            AddJson(values, body);
        }
        else if (string.Equals(media, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            AddText(values, QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)));
        }
        else
        {
            throw new ApiException(
                ErrorCode.WrongRequestFormat,
                $"Wrong request format: content type '{media ?? "none"}' is not supported; use application/json or application/x-www-form-urlencoded");
        }
    }

    private static void AddJson(Dictionary<string, Value> values, byte[] body)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body, JsonOptions);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ApiException(
                ErrorCode.WrongRequestFormat,
                $"Wrong request format: malformed JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}");
        }

        if (root.ValueKind != JsonValueKind.Object)
            throw new ApiException(ErrorCode.WrongRequestFormat, "Wrong request format: the JSON body must be an object");
        if (JsonValues.FindInvalidText(root) is { } at)
            throw new ApiException(ErrorCode.WrongRequestFormat, $"Wrong request format: the JSON text at '{at}' is not valid Unicode (an unpaired surrogate, or bytes that are not UTF-8)");
        foreach (var property in root.EnumerateObject())
            values[property.Name] = new Value(null, property.Value);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
            throw TooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
                throw TooLarge();
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static ApiException TooLarge() =>
        new(ErrorCode.RequestTooLarge, $"Too large request: an API call body is at most {MaxBodyBytes} bytes");
}
