using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FormFiles.Admin;

namespace FormFiles.DevHost;

/// <summary>
/// What the DevHost greets a developer with: in Development without <c>FormFiles:AdminKey</c>, an admin
/// key made for the run; with <c>--demo</c>, a user, a key, a template (photo, file and signature) and a
/// task with its form, made through the API, and a curl sequence that reserves, uploads and submits.
/// </summary>
internal static class Demo
{
    public const string Flag = "--demo";
    public const string SequenceStart = "# --- reserve, upload, submit ---";
    public const string SequenceEnd = "# --- end ---";

    /// <summary>Gives Development an admin key of its own when none is configured; the key, or null.</summary>
    public static string? EnsureAdminKey(WebApplicationBuilder builder)
    {
        if (!builder.Environment.IsDevelopment() || !string.IsNullOrEmpty(builder.Configuration[$"{FormFilesOptions.Section}:AdminKey"]))
            return null;
        var key = "dev-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        builder.Configuration.AddInMemoryCollection([new($"{FormFilesOptions.Section}:AdminKey", key)]);
        return key;
    }

    /// <summary>Makes the demo's user, key, template and task through the API at <paramref name="api"/>, and prints what to paste.</summary>
    public static async Task RunAsync(Uri api, string adminKey, TextWriter output)
    {
        using var http = new HttpClient { BaseAddress = api };
        var user = (await CallAsync(http, "admin/user/create", new JsonObject { ["label"] = "Demo" }, AdminGate.Header, adminKey))["id"]!.GetValue<long>();
        var hash = (await CallAsync(http, "admin/api_key/create", new JsonObject { ["user_id"] = user, ["rights"] = new JsonArray("task_view", "task_update") }, AdminGate.Header, adminKey))["hash"]!.GetValue<string>();
        var key = $"NVX {hash}";
        var template = (await CallAsync(http, "form/template/create", new JsonObject
        {
            ["template"] = new JsonObject
            {
                ["label"] = "Proof of delivery",
                ["fields"] = new JsonArray(
                    new JsonObject { ["id"] = "photo", ["label"] = "Parcel photo", ["type"] = "photo" },
                    new JsonObject { ["id"] = "receipt", ["label"] = "Receipt", ["type"] = "file" },
                    new JsonObject { ["id"] = "signature", ["label"] = "Signature", ["type"] = "signature" }),
            },
        }, "Authorization", key))["id"]!.GetValue<long>();
        var task = (await CallAsync(http, "task/create", new JsonObject
        {
            ["task"] = new JsonObject { ["label"] = "Deliver the demo parcel", ["form_template_id"] = template },
            ["create_form"] = true,
        }, "Authorization", key))["id"]!.GetValue<long>();

        var v2 = api.AbsoluteUri.TrimEnd('/');
        var text = new StringBuilder()
            .AppendLine($"Demo: user {user}, template {template}, task {task} (photo, receipt and signature fields).")
            .AppendLine(SequenceStart)
            .AppendLine($"HASH={hash}")
            .AppendLine("printf '\\377\\330\\377\\340' > parcel.jpg && head -c 2000 /dev/zero >> parcel.jpg")
            .AppendLine($"RESERVED=$(curl -s -X POST {v2}/task/form/file/create -H \"Authorization: NVX $HASH\" -d task_id={task} -d field_id=photo -d size=100000 -d filename=parcel.jpg)")
            .AppendLine("TOKEN=$(echo \"$RESERVED\" | sed -E 's/.*\"token\":\"([^\"]+)\".*/\\1/')")
            .AppendLine("FILE_ID=$(echo \"$RESERVED\" | sed -E 's/.*\"file_id\":([0-9]+).*/\\1/')")
            .AppendLine($"curl -s -F \"token=$TOKEN\" -F \"file=@parcel.jpg\" {v2}/task/form/file/upload; echo")
            .AppendLine($"curl -s -X POST {v2}/task/form/submit -H \"Authorization: NVX $HASH\" -H 'Content-Type: application/json' -d \"{{\\\"task_id\\\": {task}, \\\"values\\\": {{\\\"photo\\\": {{\\\"type\\\": \\\"photo\\\", \\\"file_ids\\\": [$FILE_ID]}}}}}}\"; echo")
            .AppendLine($"curl -s \"{v2}/task/form/read?task_id={task}\" -H \"Authorization: NVX $HASH\"; echo")
            .AppendLine(SequenceEnd);
        await output.WriteAsync(text.ToString());
        await output.FlushAsync();
    }

    private static async Task<JsonObject> CallAsync(HttpClient http, string action, JsonObject body, string header, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation(header, value);
        using var response = await http.SendAsync(request);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        return response.IsSuccessStatusCode ? json : throw new InvalidOperationException($"The demo's {action} failed: {json.ToJsonString()}");
    }
}
