using System.Collections.Frozen;
using Azure;
using FormFiles.Storage;

namespace FormFiles.Api;

/// <summary>
/// The one entry point of every HTTP call, in both hosts: finds the action, binds its
/// parameters, runs it, and turns every failure into the Navixy envelope. Every response carries
/// <c>X-Request-Id</c>; an unexpected failure is logged once with it and answered with code 6,
/// never with a stack trace.
/// </summary>
public sealed class ApiDispatcher(IEnumerable<IApiAction> actions, ILogger<ApiDispatcher> logger)
{
    private readonly FrozenDictionary<string, IApiAction> actions =
        actions.ToFrozenDictionary(a => a.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Handles one call. <paramref name="action"/> is the path below <c>/v2/</c>, or null outside it.</summary>
    public async Task HandleAsync(HttpContext context, string? action)
    {
        var requestId = RequestId.Assign(context);
        var name = action?.Trim('/') ?? string.Empty;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = requestId, ["Action"] = name });
        IResult result;
        try
        {
            result = await ExecuteAsync(context, action, name);
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
        catch (ApiException exception)
        {
            result = ApiResults.Error(exception.Code, exception.Message, exception.Errors);
        }
        catch (Exception exception) when (StorageFaults.IsUnavailable(exception))
        {
            ApiLog.StorageUnavailable(logger, exception, (exception as RequestFailedException)?.Status ?? 0, name, requestId);
            result = ApiResults.Error(ErrorCode.StorageUnavailable, $"Database unavailable, try again later (request {requestId})");
        }
        catch (RequestFailedException exception) when (exception.Status > 0)
        {
            ApiLog.StorageError(logger, exception, exception.Status, exception.ErrorCode, name, requestId);
            result = ApiResults.Error(ErrorCode.StorageError, $"Database error (request {requestId})");
        }
        catch (Exception exception) // The last line of defence: no failure leaves the service as a stack trace.
        {
            ApiLog.UnhandledError(logger, exception, name, requestId);
            result = ApiResults.Error(ErrorCode.UnexpectedError, $"Unexpected error (request {requestId})");
        }

        try
        {
            await result.ExecuteAsync(context);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away while the answer was being written.
        }
    }

    private async Task<IResult> ExecuteAsync(HttpContext context, string? action, string name)
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

        var cancellationToken = context.RequestAborted;
        var parameters = await ApiParameters.ReadAsync(context.Request, readBody: !handler.ReadsBody, cancellationToken);
        return await handler.ExecuteAsync(new ApiRequest(context, parameters), cancellationToken);
    }
}
