using Azure.Core;
using Azure.Core.Pipeline;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// Runs <paramref name="first"/> once, just before the first storage request that matches goes out: another
/// client's change at the worst moment of the service's own work, as a race would place it, deterministically.
/// </summary>
public sealed class Interjection(Func<HttpMessage, bool> matches, Func<Task> first) : HttpPipelinePolicy
{
    private int fired;

    public bool Armed { get; set; }

    public bool Fired => fired == 1;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (Armed && matches(message) && Interlocked.CompareExchange(ref fired, 1, 0) == 0)
            await first();
        await ProcessNextAsync(message, pipeline);
    }
}
