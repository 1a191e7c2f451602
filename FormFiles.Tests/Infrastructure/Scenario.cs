using System.Text.Json.Nodes;

namespace FormFiles.Tests.Infrastructure;

/// <summary>A user of the API with one key: what every registry test starts from, fresh each time.</summary>
public sealed record TestUser(long Id, string Hash, HttpClient Client)
{
    /// <summary>Calls <paramref name="action"/> with this user's key in <c>hash</c>.</summary>
    public Task<Envelope> CallAsync(string action, JsonObject? parameters = null, RequestForm form = RequestForm.Json)
    {
        var withHash = parameters?.DeepClone().AsObject() ?? [];
        withHash["hash"] = Hash;
        return Client.CallAsync(action, withHash, form);
    }

    public async Task<long> CreateTemplateAsync(JsonArray fields, string label = "Delivery report")
    {
        var created = (await CallAsync("form/template/create", new JsonObject { ["template"] = new JsonObject { ["label"] = label, ["fields"] = fields } })).AssertOk();
        return created.Body["id"]!.GetValue<long>();
    }

    public async Task<long> CreateTaskAsync(long? formTemplateId = null, string label = "Deliver parcels", string? externalId = null)
    {
        var task = new JsonObject { ["label"] = label };
        if (externalId is not null)
            task["external_id"] = externalId;
        if (formTemplateId is not null)
            task["form_template_id"] = formTemplateId;
        var created = (await CallAsync("task/create", new JsonObject { ["task"] = task, ["create_form"] = formTemplateId is not null })).AssertOk();
        return created.Body["id"]!.GetValue<long>();
    }

    /// <summary>A template with one field of every kind, file-bearing ones included.</summary>
    public static JsonArray EveryFieldType() =>
    [
        new JsonObject { ["id"] = "name", ["label"] = "Name", ["type"] = "text", ["required"] = true, ["min_length"] = 2, ["max_length"] = 50 },
        new JsonObject { ["id"] = "checks", ["label"] = "Checks", ["type"] = "checkbox_group", ["group"] = new JsonArray(new JsonObject { ["label"] = "Sealed" }, new JsonObject { ["label"] = "Dry" }) },
        new JsonObject { ["id"] = "size", ["label"] = "Size", ["type"] = "dropdown", ["options"] = new JsonArray(new JsonObject { ["label"] = "S" }, new JsonObject { ["label"] = "L" }) },
        new JsonObject { ["id"] = "mood", ["label"] = "Mood", ["type"] = "radio_group", ["options"] = new JsonArray(new JsonObject { ["label"] = "Happy" }) },
        new JsonObject { ["id"] = "when", ["label"] = "When", ["type"] = "date", ["disable_past"] = true },
        new JsonObject { ["id"] = "stars", ["label"] = "Stars", ["type"] = "rating", ["max_stars"] = 5 },
        new JsonObject { ["id"] = "sep", ["label"] = "Proof", ["type"] = "separator" },
        new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file", ["max_file_size"] = 1048576, ["allowed_extensions"] = new JsonArray("pdf", "DOCX") },
        new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo", ["max_files"] = 3 },
        new JsonObject { ["id"] = "sign", ["label"] = "Signature", ["type"] = "signature", ["required"] = true },
    ];
}

public static class Scenario
{
    public const string AdminKey = "test-admin-key-0123456789";

    public static Dictionary<string, string> AdminHeaders => new() { ["X-Admin-Key"] = AdminKey };

    public static Task<Envelope> AdminAsync(this HttpClient client, string action, JsonObject parameters, RequestForm form = RequestForm.Json) =>
        client.CallAsync(action, parameters, form, AdminHeaders);

    /// <summary>A new user with a new key holding <paramref name="rights"/> (both rights by default).</summary>
    public static async Task<TestUser> NewUserAsync(this HttpClient client, params string[] rights)
    {
        var user = (await client.AdminAsync("admin/user/create", new JsonObject { ["label"] = "Acme " + Guid.NewGuid().ToString("N")[..8] })).AssertOk();
        var id = user.Body["id"]!.GetValue<long>();
        return new TestUser(id, await client.NewKeyAsync(id, rights), client);
    }

    public static async Task<string> NewKeyAsync(this HttpClient client, long userId, params string[] rights)
    {
        var granted = rights.Length > 0 ? rights : ["task_view", "task_update"];
        var key = (await client.AdminAsync("admin/api_key/create", new JsonObject
        {
            ["user_id"] = userId,
            ["rights"] = new JsonArray(granted.Select(r => (JsonNode)r!).ToArray()),
        })).AssertOk();
        return key.Body["hash"]!.GetValue<string>();
    }
}
