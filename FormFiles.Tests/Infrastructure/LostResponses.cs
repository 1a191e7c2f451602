using Azure.Core;
using Azure.Core.Pipeline;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// Storage that executes a request and then loses its response, for <see cref="Fraction"/> of the
/// requests while enabled: the SDK sees a broken connection and retries a write that already landed.
/// Added per retry, so each of the SDK's attempts may be lost on its own. Which responses are lost comes
/// from a fixed seed, not from the run: only the order in which parallel requests draw differs.
/// </summary>
public sealed class LostResponses(double fraction, int seed = 8) : HttpPipelinePolicy
{
    private readonly Random draws = new(seed);
    private int lost;

    public double Fraction => fraction;

    public bool Enabled { get; set; }

    public int Lost => lost;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ProcessNext(message, pipeline);
        LoseMaybe();
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        LoseMaybe();
    }

    private void LoseMaybe()
    {
        if (!Enabled)
            return;
        double draw;
        lock (draws)
            draw = draws.NextDouble();
        if (draw >= fraction)
            return;
        Interlocked.Increment(ref lost);
        throw new IOException("Injected fault: the connection broke before the response arrived");
    }
}
