using FormFiles.Api;
using FormFiles.Auth;

namespace FormFiles.Calls;

/// <summary>
/// What every call with an API key goes through before its action: the key's rate limit (decided in
/// memory, so a refused call costs no storage request), the key's lookup (4) and right (11), and the
/// <c>Idempotency-Key</c>, whose answers belong to the API key that sent it. <see cref="Call"/> records what the usage meter needs.
/// </summary>
public sealed class KeyedCalls(ApiKeys keys, RateLimits limits, IdempotencyKeys idempotency)
{
    private static readonly object Admitted = new();

    /// <summary>
    /// Takes the request's one call from the key's bucket (decided in memory), or the 15 that refuses it. A dialect's
    /// request is admitted once, before anything it reads, however many canonical calls it then makes.
    /// </summary>
    public ApiAnswer? Admit(HttpContext context, string hash)
    {
        if (context.Items.ContainsKey(Admitted))
            return null;
        if (limits.Acquire(hash, keys.Peek(hash)).Refusal(context.Response.Headers, "this key") is { } refused)
            return refused;
        context.Items[Admitted] = true;
        return null;
    }

    /// <param name="idempotent">Whether an <c>Idempotency-Key</c> header applies: for calls under <c>/v2/</c>, not for a dialect's translation (its request may become several canonical calls).</param>
    public async Task<ApiAnswer> RunAsync(IApiAction action, ApiRequest request, string hash, Call call, bool idempotent, Func<CancellationToken, Task<ApiAnswer>> work)
    {
        var context = request.HttpContext;
        call.Caller = keys.Peek(hash);
        if (Admit(context, hash) is { } refused)
            return refused;

        var caller = await keys.IdentifyAsync(hash, context.RequestAborted);
        call.Caller = caller;
        ApiKeys.Authorize(caller, action.Access);
        // Reads are safe to repeat: their Idempotency-Key is not kept (nor can a read-only key claim one).
        if (!idempotent || action.Access != Access.Write || IdempotencyKeys.Read(context.Request) is not { } key)
            return await work(context.RequestAborted);

        var answer = await idempotency.RunAsync(caller, hash, key, request.Parameters.Fingerprint(action.Name), work, context.Response);
        call.Replayed = context.Response.Headers.ContainsKey(IdempotencyKeys.ReplayedHeader);
        return answer;
    }
}

/// <summary>One keyed call, as the usage meter counts it.</summary>
public sealed class Call
{
    public Caller? Caller { get; set; }

    public bool Replayed { get; set; }
}
