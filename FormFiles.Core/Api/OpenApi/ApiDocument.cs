using System.Text.Json;
using System.Text.Json.Nodes;
using FormFiles.Auth;

namespace FormFiles.Api.OpenApi;

/// <summary>
/// The OpenAPI 3.1 document of the service, built once from <c>catalog.json</c> (embedded beside this file):
/// the catalog says per action what it takes, answers and fails with; this expands each into its two
/// operations under <c>/v2/</c> (GET with a query, POST with a JSON or form body: the three request forms),
/// with the hash in all its places (query, body, <c>Authorization: NVX</c>), the envelope, and every error
/// code by HTTP status. The dialects' paths and the webhook payloads come from the catalog as they are.
/// </summary>
public static class ApiDocument
{
    private const string Catalog = "FormFiles.Api.OpenApi.catalog.json";

    private static readonly Lazy<JsonObject> Document = new(() => Build(LoadCatalog()));

    private static readonly Lazy<byte[]> Bytes = new(() => JsonSerializer.SerializeToUtf8Bytes(Document.Value, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

    /// <summary>Codes every action may answer: a body it cannot read (5), a parameter it refuses (7), a request too large (9), storage (1, 14), a bug (6).</summary>
    private static readonly int[] Always = [1, 5, 6, 7, 9, 14];

    /// <summary>Codes of every action called with a key: the hash (3, 4), the key's right (11), its rate limit or a running Idempotency-Key (15).</summary>
    private static readonly int[] Keyed = [3, 4, 11, 15];

    /// <summary>A copy of the document.</summary>
    public static JsonObject Get() => Document.Value.DeepClone().AsObject();

    /// <summary>The document, serialized.</summary>
    public static byte[] Utf8 => Bytes.Value;

    private static JsonObject LoadCatalog()
    {
        using var stream = typeof(ApiDocument).Assembly.GetManifestResourceStream(Catalog)
                           ?? throw new InvalidOperationException($"The resource {Catalog} is missing.");
        return JsonNode.Parse(stream)!.AsObject();
    }

    private static JsonObject Build(JsonObject catalog)
    {
        var paths = new JsonObject();
        foreach (var (name, node) in catalog["actions"]!.AsObject())
            paths[$"/{ApiRoutes.Prefix}/{name}"] = PathItem(name, node!.AsObject());
        foreach (var (path, item) in catalog["dialects"]!.AsObject())
            paths[path] = item!.DeepClone();

        return new JsonObject
        {
            ["openapi"] = "3.1.1",
            ["info"] = catalog["info"]!.DeepClone(),
            ["jsonSchemaDialect"] = "https://json-schema.org/draft/2020-12/schema",
            ["servers"] = new JsonArray(new JsonObject { ["url"] = "/", ["description"] = "The service that serves this document (every path carries its own prefix)." }),
            ["tags"] = catalog["tags"]!.DeepClone(),
            ["paths"] = paths,
            ["webhooks"] = Webhooks(catalog["webhooks"]!.AsObject()),
            ["components"] = new JsonObject
            {
                ["schemas"] = catalog["schemas"]!.DeepClone(),
                ["parameters"] = new JsonObject
                {
                    ["NVX-ISO-DateTime"] = new JsonObject
                    {
                        ["name"] = "NVX-ISO-DateTime",
                        ["in"] = "header",
                        ["required"] = false,
                        ["description"] = "`true`: the answer's dates in ISO 8601 (as the parameter iso_datetime).",
                        ["schema"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("true", "false") },
                    },
                },
                ["headers"] = new JsonObject
                {
                    ["X-Request-Id"] = Header("The request's id (yours, when you send a sane one); a 5xx names it in its description."),
                    ["RateLimit"] = Header("The key's remaining calls (IETF RateLimit header fields draft)."),
                    ["RateLimit-Policy"] = Header("The key's rate limit policy (IETF RateLimit header fields draft)."),
                },
                ["securitySchemes"] = new JsonObject
                {
                    ["hash"] = Scheme("query", "hash", "The API key as the parameter `hash` (also accepted in a form or JSON body)."),
                    ["nvx"] = Scheme("header", "Authorization", "`Authorization: NVX <hash>`."),
                    ["admin"] = Scheme("header", "X-Admin-Key", "The admin key (`FormFiles:AdminKey`)."),
                    ["onlyoffice"] = Scheme("header", "Authorization", "ONLYOFFICE's routes: the API key as the whole `Authorization` header."),
                    ["signature"] = Scheme("header", "webhook-signature", "What the service sends to a webhook endpoint: the Standard Webhooks signature under the endpoint's secret (with webhook-id and webhook-timestamp)."),
                    ["bearer"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer", ["description"] = "Tallyfy's routes: `Authorization: Bearer <api key>`." },
                },
            },
        };
    }

    private static JsonObject PathItem(string name, JsonObject action)
    {
        var auth = action["auth"]!.GetValue<string>();
        var parameters = (action["parameters"]?.AsObject().DeepClone().AsObject() ?? []);
        parameters["iso_datetime"] = new JsonObject
        {
            ["type"] = "boolean",
            ["default"] = false,
            ["description"] = "Dates in ISO 8601 with the offset of the user's time zone (yyyy-MM-dd'T'HH:mm:ssZZ) instead of yyyy-MM-dd HH:mm:ss in it; the header NVX-ISO-DateTime: true does the same.",
        };
        var required = (action["required"]?.AsArray() ?? []).Select(r => r!.GetValue<string>()).ToHashSet();
        var item = new JsonObject();
        foreach (var method in new[] { "get", "post" })
        {
            var operation = new JsonObject
            {
                ["operationId"] = $"{name.Replace('/', '_').Replace('.', '_')}_{method}",
                ["summary"] = action["summary"]!.DeepClone(),
                ["tags"] = new JsonArray(action["tag"]!.GetValue<string>()),
            };
            if (action["description"] is { } description)
                operation["description"] = description.DeepClone();
            if (action["requestBody"] is { } custom)
            {
                if (method == "get")
                    continue; // An action that reads its body itself (the multipart upload) is POST only.
                operation["parameters"] = Query(parameters, required, withHash: false);
                operation["requestBody"] = custom.DeepClone();
            }
            else if (method == "get")
            {
                operation["parameters"] = Query(parameters, required, withHash: auth == "key");
            }
            else
            {
                operation["parameters"] = Query([], required, withHash: auth == "key");
                operation["requestBody"] = Body(parameters, required, withHash: auth == "key");
            }

            operation["parameters"]!.AsArray().Add(new JsonObject { ["$ref"] = "#/components/parameters/NVX-ISO-DateTime" });
            operation["security"] = auth switch
            {
                "key" => new JsonArray(new JsonObject { ["hash"] = new JsonArray() }, new JsonObject { ["nvx"] = new JsonArray() }),
                "admin" => new JsonArray(new JsonObject { ["admin"] = new JsonArray() }),
                _ => new JsonArray(new JsonObject()),
            };
            operation["responses"] = Responses(action, auth);
            item[method] = operation;
        }

        return item;
    }

    /// <summary>Parameters in the query (numbers and booleans as text, objects and arrays as JSON text), and the Idempotency-Key header of a keyed call.</summary>
    private static JsonArray Query(JsonObject parameters, HashSet<string> required, bool withHash)
    {
        var list = new JsonArray();
        foreach (var (name, schema) in parameters)
        {
            var parameter = new JsonObject { ["name"] = name, ["in"] = "query", ["required"] = required.Contains(name) };
            if (IsScalar(schema!))
                parameter["schema"] = schema!.DeepClone();
            else
                parameter["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = schema!.DeepClone() } };
            list.Add(parameter);
        }

        if (withHash)
            list.Add(new JsonObject { ["name"] = "Idempotency-Key", ["in"] = "header", ["required"] = false, ["schema"] = new JsonObject { ["type"] = "string" } });
        return list;
    }

    /// <summary>A POST body as JSON or as a form: the same parameters, where a JSON number or boolean may also come quoted.</summary>
    private static JsonObject Body(JsonObject parameters, HashSet<string> required, bool withHash)
    {
        var properties = new JsonObject();
        foreach (var (name, schema) in parameters)
            properties[name] = Quotable(schema!);
        if (withHash)
            properties["hash"] = new JsonObject { ["$ref"] = "#/components/schemas/Hash" };
        var body = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = new JsonArray(required.Order(StringComparer.Ordinal).Select(r => (JsonNode)r).ToArray()),
        };
        var form = new JsonObject { ["schema"] = body.DeepClone(), ["encoding"] = new JsonObject() };
        foreach (var (name, schema) in parameters)
        {
            if (!IsScalar(schema!))
                form["encoding"]![name] = new JsonObject { ["contentType"] = "application/json" };
        }

        return new JsonObject
        {
            ["required"] = required.Count > 0,
            ["content"] = new JsonObject
            {
                ["application/json"] = new JsonObject { ["schema"] = body },
                ["application/x-www-form-urlencoded"] = form,
            },
        };
    }

    private static JsonObject Responses(JsonObject action, string auth)
    {
        var success = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["success"] = new JsonObject { ["const"] = true } },
            ["required"] = new JsonArray("success"),
            ["additionalProperties"] = false,
        };
        if (action["result"] is JsonObject result)
        {
            foreach (var (field, schema) in result["properties"]?.AsObject() ?? [])
                success["properties"]![field] = schema!.DeepClone();
            foreach (var field in result["required"]?.AsArray() ?? [])
                success["required"]!.AsArray().Add(field!.DeepClone());
        }

        // A redirecting action (the download link) answers 302 with its Location, or 200 to a call that accepts only JSON.
        var redirect = action["redirect"]?.GetValue<bool>() == true;
        var content = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = action["response"]?.DeepClone() ?? success } };
        var responses = new JsonObject
        {
            ["200"] = new JsonObject
            {
                ["description"] = redirect ? "Success, to a call whose Accept is application/json: the URL, without redirecting." : "Success.",
                ["headers"] = Headers(auth),
                ["content"] = content,
            },
        };
        if (redirect)
        {
            var headers = Headers(auth);
            headers["Location"] = Header("Where the bytes are: a short-lived read SAS.");
            responses["302"] = new JsonObject { ["description"] = "Found: the file's bytes are at Location.", ["headers"] = headers, ["content"] = content.DeepClone() };
        }

        var codes = Always.Concat(auth == "key" ? Keyed : auth == "admin" ? [11] : [])
            .Concat((action["errors"]?.AsArray() ?? []).Select(c => c!.GetValue<int>())).Distinct().Order();
        foreach (var byStatus in codes.GroupBy(c => ((ErrorCode)c).HttpStatus()))
        {
            var envelope = new JsonObject
            {
                ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = "#/components/schemas/Error" }),
                ["properties"] = new JsonObject
                {
                    ["status"] = new JsonObject { ["properties"] = new JsonObject { ["code"] = new JsonObject { ["enum"] = new JsonArray(byStatus.Select(c => (JsonNode)c).ToArray()) } } },
                },
            };
            var status = byStatus.Key.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (byStatus.Key == StatusCodes.Status503ServiceUnavailable && action["failure"] is { } failure)
                envelope = new JsonObject { ["oneOf"] = new JsonArray(envelope, failure.DeepClone()) };
            responses[status] = new JsonObject
            {
                ["description"] = string.Join("; ", byStatus.Select(c => $"{c}: {((ErrorCode)c).Description()}")),
                ["headers"] = Headers(auth),
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = envelope } },
            };
        }

        return responses;
    }

    private static JsonObject Headers(string auth)
    {
        var headers = new JsonObject { ["X-Request-Id"] = new JsonObject { ["$ref"] = "#/components/headers/X-Request-Id" } };
        if (auth == "key")
        {
            headers["RateLimit"] = new JsonObject { ["$ref"] = "#/components/headers/RateLimit" };
            headers["RateLimit-Policy"] = new JsonObject { ["$ref"] = "#/components/headers/RateLimit-Policy" };
        }

        return headers;
    }

    private static JsonObject Webhooks(JsonObject events)
    {
        var webhooks = new JsonObject();
        foreach (var (type, schema) in events)
        {
            webhooks[type] = new JsonObject
            {
                ["post"] = new JsonObject
                {
                    ["operationId"] = $"webhook_{type.Replace('.', '_')}",
                    ["summary"] = $"The {type} event, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).",
                    ["tags"] = new JsonArray("Webhooks"),
                    ["security"] = new JsonArray(new JsonObject { ["signature"] = new JsonArray() }),
                    ["requestBody"] = new JsonObject
                    {
                        ["required"] = true,
                        ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = schema!.DeepClone() } },
                    },
                    ["responses"] = new JsonObject { ["2XX"] = new JsonObject { ["description"] = "Received; any other answer (or none in time) is retried." } },
                },
            };
        }

        return webhooks;
    }

    private static bool IsScalar(JsonNode schema) =>
        schema["$ref"] is null && (schema["type"] is JsonValue type ? type.GetValue<string>() is "integer" or "number" or "string" or "boolean" : schema["enum"] is not null);

    /// <summary>A JSON integer, number or boolean may also come as its text (a quoted number, a form field).</summary>
    /// <summary>
    /// A body property as its own type: the service also takes a number or boolean in quotes, which the
    /// description says rather than a string alternative that would make generated clients wrap every number.
    /// </summary>
    private static JsonNode Quotable(JsonNode schema)
    {
        var copy = schema.DeepClone();
        if (schema["type"] is JsonValue type && type.GetValue<string>() is "integer" or "number" or "boolean")
            copy["description"] = schema["description"]?.GetValue<string>() is { } text ? text + " (Also accepted in quotes.)" : "Also accepted in quotes.";
        return copy;
    }

    private static JsonObject Header(string description) => new() { ["description"] = description, ["schema"] = new JsonObject { ["type"] = "string" } };

    private static JsonObject Scheme(string @in, string name, string description) =>
        new() { ["type"] = "apiKey", ["in"] = @in, ["name"] = name, ["description"] = description };
}
