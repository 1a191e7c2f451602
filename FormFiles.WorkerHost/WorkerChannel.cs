using System.Collections.Concurrent;
using FormFiles.WorkerHost.Rpc;
using Grpc.Core;

namespace FormFiles.WorkerHost;

/// <summary>
/// The host's end of the worker's one gRPC stream (FunctionRpc.EventStream): the worker opens it with StartStream, and
/// every request then goes out with a request id that the worker's answer repeats; an invocation's answer is matched by
/// its invocation id. What the worker logs over the stream is kept (the last <see cref="LogLines"/>).
/// </summary>
internal sealed class WorkerChannel(string workerId, Action<string>? onLog)
{
    private const int LogLines = 500;

    private readonly TaskCompletionSource connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> requests = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResponse>> invocations = new();
    private readonly ConcurrentQueue<string> logs = new();
    private readonly SemaphoreSlim writing = new(1, 1);
    private IServerStreamWriter<StreamingMessage>? stream;

    public string WorkerId => workerId;

    /// <summary>Completes once the worker sent StartStream.</summary>
    public Task Connected => connected.Task;

    /// <summary>Completes when the worker's stream ended.</summary>
    public Task Closed => closed.Task;

    public string Logs => string.Join('\n', logs);

    /// <summary>Serves the stream until the worker ends it (or the host stops).</summary>
    public async Task RunAsync(IAsyncStreamReader<StreamingMessage> incoming, IServerStreamWriter<StreamingMessage> outgoing, CancellationToken cancellationToken)
    {
        if (!await incoming.MoveNext(cancellationToken))
            return;
        if (incoming.Current.StartStream?.WorkerId != workerId)
            throw new Grpc.Core.RpcException(new Status(StatusCode.InvalidArgument, $"Expected StartStream from worker {workerId}, got {incoming.Current}"));
        stream = outgoing;
        connected.TrySetResult();
        try
        {
            while (await incoming.MoveNext(cancellationToken))
                Dispatch(incoming.Current);
        }
        finally
        {
            closed.TrySetResult();
            var gone = new WorkerHostException("The worker closed its stream.\n" + Logs);
            foreach (var request in requests.Values)
                request.TrySetException(gone);
            foreach (var invocation in invocations.Values)
                invocation.TrySetException(gone);
        }
    }

    /// <summary>Sends a request and returns the worker's answer to it.</summary>
    public async Task<StreamingMessage> RequestAsync(StreamingMessage request, TimeSpan timeout)
    {
        request.RequestId = Guid.NewGuid().ToString();
        var answer = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        requests[request.RequestId] = answer;
        try
        {
            await SendAsync(request);
            return await answer.Task.WaitAsync(timeout);
        }
        finally
        {
            requests.TryRemove(request.RequestId, out _);
        }
    }

    /// <summary>Sends an invocation and returns the worker's InvocationResponse.</summary>
    public async Task<InvocationResponse> InvokeAsync(InvocationRequest invocation, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<InvocationResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        invocations[invocation.InvocationId] = answer;
        try
        {
            await SendAsync(new StreamingMessage { RequestId = Guid.NewGuid().ToString(), InvocationRequest = invocation });
            return await answer.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            invocations.TryRemove(invocation.InvocationId, out _);
        }
    }

    public async Task SendAsync(StreamingMessage message)
    {
        var writer = stream ?? throw new InvalidOperationException("The worker has not connected.");
        await writing.WaitAsync();
        try
        {
            await writer.WriteAsync(message);
        }
        finally
        {
            writing.Release();
        }
    }

    private void Dispatch(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.RpcLog:
                Keep($"[{message.RpcLog.Level}] {message.RpcLog.Category}: {message.RpcLog.Message}{(message.RpcLog.Exception is { } e ? $" ({e.Type}: {e.Message})" : "")}");
                break;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                if (invocations.TryGetValue(message.InvocationResponse.InvocationId, out var invocation))
                    invocation.TrySetResult(message.InvocationResponse);
                break;
            default:
                if (requests.TryGetValue(message.RequestId, out var request))
                    request.TrySetResult(message);
                break;
        }
    }

    /// <summary>Something the host itself saw (a request it could not proxy), kept among the worker's lines.</summary>
    public void Note(string line) => Keep("[host] " + line);

    private void Keep(string line)
    {
        onLog?.Invoke(line);
        logs.Enqueue(line);
        while (logs.Count > LogLines)
            logs.TryDequeue(out _);
    }
}

/// <summary>The worker did not start, did not load a function, or failed an invocation: the message carries the worker's own words.</summary>
public sealed class WorkerHostException(string message) : Exception(message);
