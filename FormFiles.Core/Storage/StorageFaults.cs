using System.Net.Sockets;
using Azure;
using Azure.Identity;

namespace FormFiles.Storage;

/// <summary>
/// What a storage failure looks like through the Azure SDK, in one place. When every retry fails,
/// the SDK throws an <see cref="AggregateException"/> of the attempts, whose members may be of any
/// transport shape (a refused or reset connection, a timeout), not a <see cref="RequestFailedException"/>.
/// </summary>
public static class StorageFaults
{
    /// <summary>What a client is told to wait before trying again after a 14.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Storage cannot be used now (14, try again later): no connection or no answer in any shape,
    /// 408 or 5xx on every attempt, a row contended through every attempt, or no credential or role to
    /// reach storage with (a missing identity, or a role assignment not there or not yet in effect).
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        RequestFailedException failed => failed.Status is 0 or 408 or >= 500 || IsTransport(failed.InnerException)
                                          || failed is { Status: 403, ErrorCode: "AuthorizationPermissionMismatch" or "AuthorizationFailure" },
        AggregateException attempts => attempts.InnerExceptions.Count > 0
                                       && attempts.InnerExceptions.All(e => IsUnavailable(e) || e is OperationCanceledException)
                                       && attempts.InnerExceptions.Any(IsUnavailable),
        _ => exception is AuthenticationFailedException or StorageContentionException || IsTransport(exception),
    };

    /// <summary>Any failure to use storage (unanswered, refused, or no credential): what health and the background passes report and survive.</summary>
    public static bool IsStorageFailure(Exception exception) => exception switch
    {
        RequestFailedException => true,
        AggregateException attempts => attempts.InnerExceptions.Count > 0
                                       && attempts.InnerExceptions.All(e => IsStorageFailure(e) || e is OperationCanceledException)
                                       && attempts.InnerExceptions.Any(IsStorageFailure),
        _ => IsUnavailable(exception),
    };

    /// <summary>A connection that failed, broke or timed out, however deep the SDK wrapped it.</summary>
    private static bool IsTransport(Exception? exception) => exception switch
    {
        null or BadHttpRequestException => false, // A client's broken request body is not storage's.
        HttpRequestException or IOException or SocketException or TimeoutException => true,
        AggregateException attempts => attempts.InnerExceptions.Count > 0 && attempts.InnerExceptions.All(e => IsTransport(e) || e is OperationCanceledException),
        _ => IsTransport(exception.InnerException),
    };
}
