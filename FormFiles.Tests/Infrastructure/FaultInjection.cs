using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace FormFiles.Tests.Infrastructure;

/// <summary>Fails, once, the first storage request that matches: a crash between two of the service's writes, as storage sees it.</summary>
public sealed class FaultInjection(Func<HttpMessage, bool> matches) : HttpPipelineSynchronousPolicy
{
    private int fired;

    public bool Fired => fired == 1;

    public override void OnSendingRequest(HttpMessage message)
    {
        if (matches(message) && Interlocked.CompareExchange(ref fired, 1, 0) == 0)
            throw new RequestFailedException(503, "Injected fault");
    }

    /// <summary>An entity-group transaction on <paramref name="table"/>.</summary>
    public static Func<HttpMessage, bool> BatchOn(string table) => message =>
        message.Request.Method == RequestMethod.Post && message.Request.Uri.Path.EndsWith("/$batch", StringComparison.Ordinal)
        && message.Request.Content is not null && ContentMentions(message, $"/{table}(");

    private static bool ContentMentions(HttpMessage message, string text)
    {
        using var buffer = new MemoryStream();
        message.Request.Content!.WriteTo(buffer, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()).Contains(text, StringComparison.Ordinal);
    }
}
