namespace FormFiles.Api;

/// <summary>
/// Where a call enters Core (the API dispatcher and both dialects): it gets its request id and becomes the ambient request
/// (<see cref="IHttpContextAccessor"/>) of what runs under it, such as the download links' base URL. ASP.NET Core's hosting
/// does the latter for the DevHost; the Functions worker runs a function on its invocation's flow rather than on its HTTP
/// request's, so that there the accessor is empty until this sets it.
/// </summary>
public sealed class ServedRequest(IHttpContextAccessor accessor)
{
    /// <returns>The call's request id (<see cref="RequestId.Assign"/>).</returns>
    public string Begin(HttpContext context)
    {
        accessor.HttpContext = context;
        return RequestId.Assign(context);
    }
}
