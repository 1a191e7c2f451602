using System.Collections.Frozen;
using Azure;
using FormFiles.Auth;
using FormFiles.Calls;
using FormFiles.Storage;
using FormFiles.Telemetry;
using FormFiles.Usage;

namespace FormFiles.Api;

/// <summary>
/// The one entry point of every HTTP call, in both hosts: finds the action, binds its parameters, takes
/// a keyed call through <see cref="KeyedCalls"/>, runs it, turns every failure into the Navixy envelope,
/// and counts the answer. Every response carries <c>X-Request-Id</c>; an unexpected failure is logged
/// once with it and answered with code 6, never with a stack trace. Each call is one activity, tagged with
/// the user and the task and file it names, and counted in <c>formfiles.api.calls</c>.
/// </summary>
public sealed class ApiDispatcher(IEnumerable<IApiAction> actions, ServedRequest served, CrossOrigin crossOrigin, KeyedCalls keyedCalls, UsageMeter usage, FormFilesMetrics metrics, TimeProvider time, ILogger<ApiDispatcher> logger)
{
    private readonly FrozenDictionary<string, IApiAction> actions =
        actions.ToFrozenDictionary(a => a.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Handles one call. <paramref name="action"/> is the path below <c>/v2/</c>, or null outside it.</summary>
    public async Task HandleAsync(HttpContext context, string? action)
    {
        using var entry = served.Begin(context);
        var requestId = entry.RequestId;
        if (crossOrigin.Answer(context))
            return;
        var name = ActionNames.Canonical(action?.Trim('/') ?? string.Empty);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = requestId, ["Action"] = name });
        using var activity = Lifecycle.Start($"api {Known(name)}");
        var started = time.GetTimestamp();
        var call = new Call();
        ApiAnswer answer;
        try
        {
            answer = await AnswerAsync(context, name, requestId, () => ExecuteAsync(context, action, name, call));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // The caller went away; there is nobody to answer.
        }
        catch (Exception exception) when (context.Response.HasStarted)
        {
            ApiLog.ResponseAlreadyStarted(logger, exception, name, requestId);
            context.Abort();
            return;
        }

        Count(name, call, answer, started);
        try
        {
            await answer.ExecuteAsync(context);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away while the answer was being written.
        }
    }

    /// <summary>
    /// A canonical action on behalf of a dialect, through the same pipeline as a call under <c>/v2/</c>
    /// (rate limit, key, right, Idempotency-Key, usage): its Navixy answer, for the dialect to translate,
    /// and the caller once known.
    /// </summary>
    public async Task<(ApiAnswer Answer, Caller? Caller)> CallAsync(HttpContext context, string name, ApiParameters parameters)
    {
        var handler = actions[name];
        using var activity = Lifecycle.Start($"api {name}");
        var started = time.GetTimestamp();
        var call = new Call();
        var answer = await AnswerAsync(context, name, RequestId.Of(context), () => RunAsync(context, handler, parameters, call, idempotent: false));
        Count(name, call, answer, started);
        return (answer, call.Caller);
    }

    /// <summary>
    /// A canonical action run directly, for what a dialect shows after its call or undoes after a failure
    /// (no rate limit, not metered; the action checks the key itself).
    /// </summary>
    public Task<ApiAnswer> ReadAsync(HttpContext context, string name, ApiParameters parameters, CancellationToken? cancellationToken = null) =>
        AnswerAsync(context, name, RequestId.Of(context), () => actions[name].ExecuteAsync(new ApiRequest(context, parameters), cancellationToken ?? context.RequestAborted));

    private void Count(string name, Call call, ApiAnswer answer, long started)
    {
        if (call.Caller is { } caller && actions.TryGetValue(name, out var handler))
            usage.Count(caller, handler.Name, answer.Status, call.Replayed);
        metrics.Called(Known(name), answer.Code, time.GetElapsedTime(started));
    }

    /// <summary>The action's own name, or <c>unknown</c>: a tag never takes whatever path a client made up.</summary>
    private string Known(string name) => actions.TryGetValue(name, out var handler) ? handler.Name : "unknown";

    /// <summary>Runs <paramref name="work"/>; every failure that can still be answered becomes its envelope.</summary>
    private async Task<ApiAnswer> AnswerAsync(HttpContext context, string name, string requestId, Func<Task<ApiAnswer>> work)
    {
        try
        {
            return await work();
        }
        catch (ApiException exception) when (!context.Response.HasStarted)
        {
            return ApiResults.Error(exception.Code, exception.Message, exception.Errors);
        }
        catch (Exception exception) when (StorageFaults.IsUnavailable(exception) && !context.Response.HasStarted)
        {
            ApiLog.StorageUnavailable(logger, exception, (exception as RequestFailedException)?.Status ?? 0, name, requestId);
            return ApiResults.Error(ErrorCode.StorageUnavailable, $"Database unavailable, try again later (request {requestId})");
        }
        catch (RequestFailedException exception) when (exception.Status > 0 && !context.Response.HasStarted)
        {
            ApiLog.StorageError(logger, exception, exception.Status, exception.ErrorCode, name, requestId);
            return ApiResults.Error(ErrorCode.StorageError, $"Database error (request {requestId})");
        }
        catch (Exception exception) when (!context.Response.HasStarted && !(exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
        {
            // The last line of defence: no failure leaves the service as a stack trace.
            ApiLog.UnhandledError(logger, exception, name, requestId);
            return ApiResults.Error(ErrorCode.UnexpectedError, $"Unexpected error (request {requestId})");
        }
    }

    private async Task<ApiAnswer> ExecuteAsync(HttpContext context, string? action, string name, Call call)
    {
        if (action is null)
            throw new ApiException(ErrorCode.WrongHandler, $"Wrong handler: API actions are served under /{ApiRoutes.Prefix}/");
        if (!actions.TryGetValue(name, out var handler))
            throw new ApiException(ErrorCode.WrongHandler, $"Wrong handler: unknown action '{name}'");
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.Headers.Allow = "GET, POST";
            throw new ApiException(ErrorCode.WrongMethod, $"Wrong method: {context.Request.Method}; use GET or POST");
        }

        var parameters = await ApiParameters.ReadAsync(context.Request, readBody: !handler.ReadsBody, context.RequestAborted);
        return await RunAsync(context, handler, parameters, call, idempotent: true, iso: WantsIso(context, parameters));
    }

    /// <summary>Navixy's switch to ISO 8601 dates: <c>iso_datetime: true</c> in the body or query, or <c>NVX-ISO-DateTime: true</c>.</summary>
    private static bool WantsIso(HttpContext context, ApiParameters parameters) =>
        parameters.OptionalBoolean("iso_datetime") == true
        || string.Equals(context.Request.Headers["NVX-ISO-DateTime"].ToString().Trim(), "true", StringComparison.OrdinalIgnoreCase);

    /// <param name="iso">For a <c>/v2/</c> call: its dates in ISO 8601, else plain, either in the caller's time zone; null for a dialect's call (UTC).</param>
    private async Task<ApiAnswer> RunAsync(HttpContext context, IApiAction handler, ApiParameters parameters, Call call, bool idempotent, bool? iso = null)
    {
        var name = handler.Name;
        var request = new ApiRequest(context, parameters);
        if (iso is { } asked)
            ApiDate.Current = new ApiDate.DateStyle(TimeZoneInfo.Utc, asked);
        if (!handler.UsesApiKey || parameters.FindHash() is not { } hash)
            return await handler.ExecuteAsync(request, context.RequestAborted);

        // The action's own failures are answers too: the usage meter counts them and an Idempotency-Key keeps them.
        var (taskId, fileId) = (parameters.FindInt64("task_id"), parameters.FindInt64("file_id"));
        try
        {
            return await keyedCalls.RunAsync(handler, request, hash, call, idempotent, async cancellationToken =>
            {
                using var ids = Lifecycle.Scope(logger, call.Caller?.UserId, taskId, fileId);
                if (iso is { } asked && call.Caller is { } caller)
                    ApiDate.Current = new ApiDate.DateStyle(caller.Zone, asked);
                return await AnswerAsync(context, name, RequestId.Of(context), () => handler.ExecuteAsync(request, cancellationToken));
            });
        }
        finally
        {
            Lifecycle.Tag(call.Caller?.UserId, taskId, fileId); // Replays and refusals too.
        }
    }
}
