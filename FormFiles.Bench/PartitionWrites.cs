using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;

namespace FormFiles.Bench;

/// <summary>
/// Counts the table writes the service sends, per table partition (an entity-group transaction counts
/// once, for its partition): the busiest partition's share of all writes shows a hot partition.
/// </summary>
public sealed partial class PartitionWrites : HttpPipelineSynchronousPolicy
{
    private readonly ConcurrentDictionary<string, int> writes = new();

    public int Total => writes.Values.Sum();

    public (string Partition, int Writes) Busiest => writes.MaxBy(w => w.Value) is var (partition, count) ? (partition, count) : (string.Empty, 0);

    public void Reset() => writes.Clear();

    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        if (request.Method == RequestMethod.Get || request.Method == RequestMethod.Head || request.Uri.Path.Contains("/form-files", StringComparison.Ordinal))
            return;
        var text = Uri.UnescapeDataString(request.Uri.Path);
        if (request.Content is not null)
        {
            using var buffer = new MemoryStream();
            request.Content.WriteTo(buffer, CancellationToken.None);
            text += "\n" + Encoding.UTF8.GetString(buffer.ToArray());
        }

        var addressed = Addressed().Match(text);
        var partition = addressed.Success
            ? $"{addressed.Groups[1].Value}/{addressed.Groups[2].Value}"
            : $"{Inserted().Match(request.Uri.Path).Groups[1].Value}/{InBody().Match(text).Groups[1].Value}";
        writes.AddOrUpdate(partition, 1, (_, n) => n + 1);
    }

    [GeneratedRegex(@"/(\w+)\(PartitionKey='([^']*)'")]
    private static partial Regex Addressed();

    [GeneratedRegex(@"/(\w+)$")]
    private static partial Regex Inserted();

    [GeneratedRegex("\"PartitionKey\":\\s*\"([^\"]*)\"")]
    private static partial Regex InBody();
}
