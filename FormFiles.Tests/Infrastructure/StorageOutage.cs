using Azure.Core;
using Azure.Core.Pipeline;

namespace FormFiles.Tests.Infrastructure;

/// <summary>Storage that refuses every request while the outage lasts, as a connection refused would (the SDK's retries fail too).</summary>
public sealed class StorageOutage : HttpPipelinePolicy
{
    private volatile bool down;

    public void Begin() => down = true;

    public void End() => down = false;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Refuse();
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Refuse();
        return ProcessNextAsync(message, pipeline);
    }

    private void Refuse()
    {
        if (down)
            throw new Azure.RequestFailedException("Connection refused (injected outage)");
    }
}
