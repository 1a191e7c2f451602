using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FormFiles.Api.OpenApi;
using Json.Schema;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// Every answer of every test host, checked against the OpenAPI document as it leaves: a middleware (in
/// <see cref="FormFilesFactory"/>) copies the body on its way out, finds the documented operation of the
/// request's method and path (a /v2 action as the dispatcher finds it: any case, slashes trimmed), and
/// validates the status and the body against it with a JSON Schema validator. An answer of a documented
/// operation that its document does not describe is a violation; so is an answer under /v2/ without an
/// operation (an unknown action or method) that is not the envelope of 111 or 112, and an exception that
/// leaves the pipeline. The test actions (<c>/v2/test/…</c>) and routes outside the API are not checked.
/// </summary>
public static partial class ApiConformance
{
    private static readonly Lazy<Operations> Document = new(() => new Operations(ApiDocument.Get()));

    /// <summary>What failed, over the whole run.</summary>
    public static ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>Each documented operation answered and checked, by <c>METHOD path</c>, with the statuses seen.</summary>
    public static ConcurrentDictionary<string, ConcurrentDictionary<int, byte>> Exercised { get; } = new();

    /// <summary>Every documented operation, as <c>METHOD path</c>, and every webhook, as <c>WEBHOOK type</c>.</summary>
    public static IEnumerable<string> All => Document.Value.Keys;

    /// <summary>Checks a webhook delivery's body against its event type's payload; returns what is wrong with it, or null.</summary>
    public static string? CheckWebhook(string body, bool record = false)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        string type;
        try
        {
            type = JsonNode.Parse(body)?["type"]?.GetValue<string>() ?? string.Empty;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            type = string.Empty;
        }

        var key = $"WEBHOOK {type}";
        var violation = Document.Value.Webhook(type) is { } schema
            ? Validate(key, 0, schema, bytes)
            : Fail(key, 0, "the event type is not documented", bytes);
        if (record)
        {
            Exercised.GetOrAdd(key, _ => new()).TryAdd(200, 0);
            if (violation is not null)
                Violations.Enqueue(violation);
        }

        return violation;
    }

    /// <summary>Checks one answer; returns what is wrong with it, or null. Only <paramref name="record"/>ed answers count for the run.</summary>
    public static string? Check(string method, string path, int status, string? contentType, ReadOnlyMemory<byte> body, bool record = false)
    {
        if (method == "OPTIONS" && status == 204 && body.IsEmpty)
            return null; // A CORS preflight, answered for every route: protocol, not an operation.
        // Navixy's other paths of an action (fsm/task/…, task/form/file) are the action's operation.
        // Tallyfy's own base path (/api/organizations/…) is the same operation as /organizations/….
        var documented = IsApi(path) ? $"/v2/{FormFiles.Api.ActionNames.Canonical(path[4..].Trim('/'))}"
            : path.StartsWith("/api/organizations/", StringComparison.Ordinal) ? path[4..]
            : path.StartsWith("/api/2.0/", StringComparison.Ordinal) && path.EndsWith(".json", StringComparison.Ordinal) ? path[..^5] : path; // ONLYOFFICE's .json suffix.
        if (Document.Value.Find(method, documented) is not var (key, operation))
        {
            var undocumented = IsApi(path) ? Unrouted(method, path, status, body) : null;
            if (record && undocumented is not null)
                Violations.Enqueue(undocumented);
            return undocumented;
        }

        var violation = Describe(key, operation, status, contentType, body);
        if (record)
        {
            Exercised.GetOrAdd(key, _ => new()).TryAdd(status, 0);
            if (violation is not null)
                Violations.Enqueue(violation);
        }

        return violation;
    }

    /// <summary>Whether the dispatcher answers <paramref name="path"/> (not a test action, nor the DevHost's reference page).</summary>
    private static bool IsApi(string path) =>
        path.StartsWith("/v2/", StringComparison.OrdinalIgnoreCase) && path.AsSpan(4).TrimStart('/') is var rest
        && !rest.StartsWith("test/", StringComparison.OrdinalIgnoreCase) && !rest.StartsWith("docs", StringComparison.OrdinalIgnoreCase);

    /// <summary>An answer under /v2/ without a documented operation must be the envelope of an unknown action (111, 404) or method (112, 405).</summary>
    private static string? Unrouted(string method, string path, int status, ReadOnlyMemory<byte> body)
    {
        try
        {
            var code = JsonNode.Parse(body.Span)?["status"]?["code"]?.GetValue<int>();
            if ((status, code) is (404, 111) or (405, 112))
                return null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // Not an envelope: a violation below.
        }

        return Fail($"{method} {path}", status, "an answer under /v2/ that no operation documents, and not 111 or 112", body);
    }

    private static string? Describe(string key, JsonObject operation, int status, string? contentType, ReadOnlyMemory<byte> body)
    {
        var responses = operation["responses"]!.AsObject();
        var response = responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] ?? responses[$"{status / 100}XX"] ?? responses["default"];
        if (response is null)
            return Fail(key, status, "the status is not documented", body);
        if (body.Length == 0)
            return response["content"] is JsonObject { Count: > 0 } ? Fail(key, status, "the documented body is missing", body) : null;
        var mediaType = contentType?.Split(';')[0].Trim();
        if (Documented(response["content"], mediaType) is not { } content)
            return Fail(key, status, $"a {mediaType ?? "typeless"} body is not documented", body);
        return mediaType == "application/json" ? Validate(key, status, content["schema"]!, body) : null;
    }

    /// <summary>The content entry for a media type: its own, else its range (image/*), else */*.</summary>
    private static JsonNode? Documented(JsonNode? contents, string? mediaType) =>
        mediaType is null
            ? null
            : contents?[mediaType] ?? contents?[$"{mediaType.Split('/')[0]}/*"] ?? contents?["*/*"];

    private static string? Validate(string key, int status, JsonNode schema, ReadOnlyMemory<byte> body)
    {
        JsonDocument instance;
        try
        {
            instance = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return Fail(key, status, "the body is not JSON", body);
        }

        using (instance)
        {
            var results = Document.Value.Schema(key, status, schema).Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            if (results.IsValid)
                return null;
            var errors = (results.Details ?? []).Where(d => d.Errors is not null)
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}")).Take(6);
            return Fail(key, status, string.Join("; ", errors), body);
        }
    }

    private static string Fail(string key, int status, string what, ReadOnlyMemory<byte> body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body.Span[..Math.Min(body.Length, 600)]);
        return $"{key} → {status}: {what}. Body: {text}";
    }

    /// <summary>The documented operations: the /v2 actions by their exact path, the dialects by their templates.</summary>
    private sealed partial class Operations
    {
        private readonly Dictionary<string, (Regex Path, string Method, JsonObject Operation)> operations = new(StringComparer.Ordinal);
        private readonly JsonObject definitions;
        private readonly Dictionary<string, JsonNode> webhooks = [];
        private readonly ConcurrentDictionary<(string, int), JsonSchema> schemas = new();

        public Operations(JsonObject document)
        {
            foreach (var (path, item) in document["paths"]!.AsObject())
            {
                var pattern = new Regex("^" + Parameter().Replace(Regex.Escape(path).Replace("\\{", "{", StringComparison.Ordinal), "[^/]+") + "$", RegexOptions.CultureInvariant);
                foreach (var (method, operation) in item!.AsObject())
                    operations[$"{method.ToUpperInvariant()} {path}"] = (pattern, method.ToUpperInvariant(), operation!.AsObject());
            }

            definitions = Rewrite(document["components"]!["schemas"]!).AsObject();
            foreach (var (type, item) in document["webhooks"]!.AsObject())
                webhooks[type] = item!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!;
        }

        public IEnumerable<string> Keys => operations.Keys.Concat(webhooks.Keys.Select(type => $"WEBHOOK {type}"));

        public JsonNode? Webhook(string type) => webhooks.GetValueOrDefault(type);

        public (string Key, JsonObject Operation)? Find(string method, string path)
        {
            if (path.StartsWith("/v2/", StringComparison.OrdinalIgnoreCase))
                path = "/v2/" + path[4..].Trim('/').ToLowerInvariant(); // As the dispatcher finds its action.
            foreach (var (key, (pattern, verb, operation)) in operations)
            {
                if (verb == method && pattern.IsMatch(path))
                    return (key, operation);
            }

            return null;
        }

        public JsonSchema Schema(string key, int status, JsonNode schema) => schemas.GetOrAdd((key, status), _ =>
        {
            var root = Rewrite(schema).AsObject();
            root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
            root["$defs"] = definitions.DeepClone();
            using var json = JsonDocument.Parse(root.ToJsonString());
            return JsonSchema.Build(json.RootElement.Clone(), new BuildOptions(), new Uri($"https://formfiles.test/{Guid.NewGuid():N}"));
        });

        /// <summary>The schema with its references to the document's components pointed at the root's <c>$defs</c>.</summary>
        private static JsonNode Rewrite(JsonNode schema) =>
            JsonNode.Parse(schema.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal))!;

        [GeneratedRegex(@"\{[^}/]+\}")]
        private static partial Regex Parameter();
    }

    /// <summary>The middleware, first in every test host's pipeline.</summary>
    public sealed class Filter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                var original = context.Response.Body;
                using var copy = new Tee(original);
                context.Response.Body = copy;
                try
                {
                    await nextMiddleware(context);
                }
                catch (Exception e) when (!context.RequestAborted.IsCancellationRequested && !context.Request.Path.StartsWithSegments("/v2/test", StringComparison.OrdinalIgnoreCase))
                {
                    Violations.Enqueue($"{context.Request.Method} {context.Request.Path}: {e.GetType().Name} left the pipeline (a 500 without the envelope)");
                    throw;
                }
                finally
                {
                    context.Response.Body = original;
                }

                if (!context.RequestAborted.IsCancellationRequested && !HttpMethods.IsHead(context.Request.Method))
                    Check(context.Request.Method, context.Request.Path.Value ?? string.Empty, context.Response.StatusCode, context.Response.ContentType, copy.Written, record: true);
            });
            next(app);
        };
    }

    /// <summary>Writes through to the response and keeps a copy of the first MiB.</summary>
    private sealed class Tee(Stream inner) : Stream
    {
        private const int Limit = Hardening.CostPerCallTests.MaxAnswerBytes + 1; // The largest answer the service builds, whole.
        private readonly MemoryStream copy = new();

        public ReadOnlyMemory<byte> Written => copy.GetBuffer().AsMemory(0, (int)copy.Length);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Keep(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Keep(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void Keep(ReadOnlySpan<byte> bytes)
        {
            if (copy.Length < Limit)
                copy.Write(bytes[..(int)Math.Min(bytes.Length, Limit - copy.Length)]);
        }
    }
}
