using Azure.Core;
using Azure.Core.Pipeline;

namespace FormFiles.Bench;

/// <summary>Counts every request the Azure SDK sends to storage (retries included).</summary>
public sealed class StorageRequestCounter : HttpPipelineSynchronousPolicy
{
    private long count;

    public long Count => Interlocked.Read(ref count);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref count);
}
