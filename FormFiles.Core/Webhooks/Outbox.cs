using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;

namespace FormFiles.Webhooks;

/// <summary>
/// The transactional outbox: a change that causes events adds one outbox row, holding them all, to
/// the entity-group transaction that makes the change, in the task's partition (RK
/// <c>outbox-{guid}</c>). So no event is recorded without its change, and no change without its events.
/// The relay moves the rows to delivery and deletes them.
/// </summary>
public static class Outbox
{
    public const string RowPrefix = "outbox-";

    /// <summary>Binary properties hold at most 64 KiB each; a row holds up to 1 MiB.</summary>
    private const int ChunkBytes = 64 * 1024;

    public static TableEntity Row(string taskPartition, IReadOnlyList<WebhookEvent> events)
    {
        var row = new TableEntity(taskPartition, RowPrefix + Guid.NewGuid().ToString("N"));
        Write(row, JsonSerializer.SerializeToUtf8Bytes(new JsonArray(events.Select(e => (JsonNode)e.ToJson()).ToArray())));
        return row;
    }

    public static IReadOnlyList<WebhookEvent> Read(TableEntity row) =>
        JsonNode.Parse(Payload(row))!.AsArray().Select(e => WebhookEvent.FromJson(e!)).ToList();

    public static string Filter(string taskPartition) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {taskPartition} and RowKey ge {RowPrefix} and RowKey lt {"outbox."}");

    /// <summary>Stores <paramref name="bytes"/> in <c>Data0</c>, <c>Data1</c>, … (64 KiB each).</summary>
    public static void Write(TableEntity row, byte[] bytes)
    {
        for (var i = 0; i * ChunkBytes < bytes.Length || i == 0; i++)
            row[$"Data{i}"] = bytes.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, bytes.Length - (i * ChunkBytes))).ToArray();
    }

    public static byte[] Payload(TableEntity row)
    {
        using var bytes = new MemoryStream();
        for (var i = 0; row.GetBinary($"Data{i}") is { } chunk; i++)
            bytes.Write(chunk);
        return bytes.ToArray();
    }
}
