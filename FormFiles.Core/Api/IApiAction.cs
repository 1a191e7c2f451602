namespace FormFiles.Api;

/// <summary>One API action, such as <c>task/form/file/create</c>, served under <c>/v2/</c>.</summary>
public interface IApiAction
{
    /// <summary>The action path below <c>/v2/</c>, for example <c>task/form/file/create</c>.</summary>
    string Name { get; }

    /// <summary>True for an action that reads the request body itself (a multipart upload): its parameters come from the query only.</summary>
    bool ReadsBody => false;

    /// <summary>
    /// True for an action called with an API key: it is rate limited, metered and may carry an
    /// <c>Idempotency-Key</c>. Admin actions, health and the multipart upload (its token is single-use) are not.
    /// </summary>
    bool UsesApiKey => !ReadsBody;

    /// <summary>The right a keyed action needs; checked before an Idempotency-Key is claimed or replayed, and by the action.</summary>
    Auth.Access Access => Auth.Access.Write;

    Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken);
}

/// <summary>What an action gets: the HTTP context and the bound parameters.</summary>
public sealed record ApiRequest(HttpContext HttpContext, ApiParameters Parameters);
