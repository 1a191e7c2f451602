using System.Text.Json.Nodes;
using FormFiles.WorkerHost.Rpc;
using Google.Protobuf;

namespace FormFiles.WorkerHost;

/// <summary>The inputs the host gives non-HTTP triggers, in the form the isolated worker's extensions read them.</summary>
internal static class Triggers
{
    /// <summary>A timer's <c>TimerInfo</c>, as JSON (the Timer extension's ScheduleStatus and IsPastDue).</summary>
    public static void Timer(JsonObject trigger, InvocationRequest request)
    {
        var now = DateTimeOffset.UtcNow;
        var next = Cronos.CronExpression.Parse(trigger["schedule"]!.GetValue<string>(), Cronos.CronFormat.IncludeSeconds).GetNextOccurrence(now, TimeZoneInfo.Utc) ?? now;
        var info = new JsonObject
        {
            ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
            ["ScheduleStatus"] = new JsonObject { ["Last"] = now.ToString("O"), ["Next"] = next.ToString("O"), ["LastUpdated"] = now.ToString("O") },
            ["IsPastDue"] = false,
        };
        request.InputData.Add(new ParameterBinding { Name = trigger["name"]!.GetValue<string>(), Data = new TypedData { Json = info.ToJsonString() } });
    }

    /// <summary>
    /// A blob trigger of <c>Source = EventGrid</c> bound to an SDK type (<c>supportsDeferredBinding</c>): the Blobs extension's
    /// model binding data (source <c>AzureStorageBlobs</c>, JSON of connection, container and blob name), and the path's
    /// parameters and <c>BlobTrigger</c> as trigger metadata.
    /// </summary>
    public static void BlobCreated(JsonObject trigger, string blobName, Uri? blobUri, InvocationRequest request)
    {
        var path = trigger["path"]!.GetValue<string>();
        var container = Container(trigger);
        var content = new JsonObject
        {
            ["Connection"] = trigger["connection"]?.GetValue<string>() ?? "AzureWebJobsStorage",
            ["ContainerName"] = container,
            ["BlobName"] = blobName,
        };
        var data = new ModelBindingData { Version = "1.0", Source = "AzureStorageBlobs", ContentType = "application/json", Content = ByteString.CopyFromUtf8(content.ToJsonString()) };
        request.InputData.Add(new ParameterBinding { Name = trigger["name"]!.GetValue<string>(), Data = new TypedData { ModelBindingData = data } });
        request.TriggerMetadata["BlobTrigger"] = new TypedData { String = $"{container}/{blobName}" };
        if (blobUri is not null)
            request.TriggerMetadata["Uri"] = new TypedData { Json = System.Text.Json.JsonSerializer.Serialize(blobUri.AbsoluteUri) };
        var parameter = path[(container.Length + 1)..];
        if (parameter.StartsWith('{') && parameter.EndsWith('}'))
            request.TriggerMetadata[parameter[1..^1]] = new TypedData { String = blobName };
    }

    /// <summary>The container named by a blob trigger's path.</summary>
    public static string Container(JsonObject trigger)
    {
        var path = trigger["path"]!.GetValue<string>();
        return path[..path.IndexOf('/', StringComparison.Ordinal)];
    }
}
