namespace FormFiles.Api;

/// <summary>
/// Where a call enters Core (the API dispatcher and both dialects): it gets its request id and is the ambient request
/// (<see cref="IHttpContextAccessor"/>) of what runs under it, such as the download links' base URL. ASP.NET Core's hosting
/// does the latter for the DevHost; the Functions worker runs a function on its invocation's flow rather than on its HTTP
/// request's, so that there the accessor is empty: then the call sets it, and clears it when it ends, so that nothing
/// started during the call (background work) holds the request past it.
/// </summary>
public sealed class ServedRequest(IHttpContextAccessor accessor)
{
    public Call Begin(HttpContext context)
    {
        var set = accessor.HttpContext is null;
        if (set)
            accessor.HttpContext = context;
        return new Call(RequestId.Assign(context), set ? accessor : null);
    }

    /// <summary>A call being served: its request id (<see cref="RequestId.Assign"/>); disposing it ends the ambient request it set.</summary>
    public readonly struct Call(string requestId, IHttpContextAccessor? setBy) : IDisposable
    {
        public string RequestId { get; } = requestId;

        public void Dispose()
        {
            if (setBy is not null)
                setBy.HttpContext = null;
        }
    }
}
