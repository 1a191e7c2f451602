using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FormFiles.Api;
using FormFiles.Files;
using FormFiles.Tasks;

namespace FormFiles.Webhooks;

/// <summary>
/// One event: its id (the <c>webhook-id</c> of every delivery of it), its type, when it happened, and
/// its data: the object as the API shows it (a file without its download URL, or the form), with
/// <c>task_id</c> and <c>user_id</c>.
/// </summary>
public sealed record WebhookEvent(string Id, string Type, DateTimeOffset Timestamp, JsonObject Data)
{
    /// <summary>The delivered body: <c>{"type", "timestamp", "data"}</c>.</summary>
    public byte[] Body() => JsonSerializer.SerializeToUtf8Bytes(new JsonObject
    {
        ["type"] = Type,
        ["timestamp"] = Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["data"] = Data.DeepClone(),
    }, ApiJson.Options);

    internal JsonObject ToJson() => new() { ["id"] = Id, ["type"] = Type, ["timestamp"] = Timestamp, ["data"] = Data.DeepClone() };

    internal static WebhookEvent FromJson(JsonNode node) =>
        new(node["id"]!.GetValue<string>(), node["type"]!.GetValue<string>(), node["timestamp"]!.GetValue<DateTimeOffset>(), node["data"]!.AsObject().DeepClone().AsObject());
}

/// <summary>The events the service's changes cause, made from the state the change commits.</summary>
public static class Events
{
    public static WebhookEvent File(string type, FileEntity file, DateTimeOffset now, string? reason = null)
    {
        var data = JsonSerializer.SerializeToNode(FileViews.View(file, null), ApiJson.Options)!.AsObject();
        data.Remove("download_url");
        data["task_id"] = file.TaskId;
        if (reason is not null)
            data["reason"] = reason;
        return New(type, now, data);
    }

    public static WebhookEvent FormSubmitted(TaskEntity task, IEnumerable<long> fileIds, bool first, DateTimeOffset now)
    {
        var data = JsonSerializer.SerializeToNode(task.FormView(), ApiJson.Options)!.AsObject();
        data["user_id"] = task.UserId;
        data["file_ids"] = new JsonArray(fileIds.Order().Select(id => (JsonNode)id).ToArray());
        data["first"] = first;
        return New(FormFiles.Webhooks.EventTypes.FormSubmitted, now, data);
    }

    public static WebhookEvent Test(long webhookId, long userId, DateTimeOffset now) =>
        New(EventTypes.WebhookTest, now, new JsonObject { ["webhook_id"] = webhookId, ["user_id"] = userId });

    /// <summary>Whether <paramref name="id"/> has the form of an event id (<c>msg_</c> and 32 hex digits).</summary>
    public static bool IsId(string id) => id.Length == 36 && id.StartsWith("msg_", StringComparison.Ordinal) && !id.AsSpan(4).ContainsAnyExcept("0123456789abcdef");

    private static WebhookEvent New(string type, DateTimeOffset now, JsonObject data) => new("msg_" + Guid.NewGuid().ToString("N"), type, now, data);
}
