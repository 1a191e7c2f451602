using FormFiles.WorkerHost.Rpc;
using Grpc.Core;

namespace FormFiles.WorkerHost;

/// <summary>The FunctionRpc service the worker connects to: its one stream goes to the <see cref="WorkerChannel"/>.</summary>
internal sealed class FunctionRpcService(WorkerChannel channel) : FunctionRpc.FunctionRpcBase
{
    public override Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context) =>
        channel.RunAsync(requestStream, responseStream, context.CancellationToken);
}
