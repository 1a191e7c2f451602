using Azure;
using Azure.Identity;

namespace FormFiles.Storage;

/// <summary>
/// What a storage failure looks like through the Azure SDK, in one place. When every retry fails,
/// the SDK throws an <see cref="AggregateException"/> of the attempts (a timeout among them shows
/// as a cancellation), not a <see cref="RequestFailedException"/>.
/// </summary>
public static class StorageFaults
{
    /// <summary>
    /// Storage cannot be used now (14, try again later): no connection, a timeout, 408 or 5xx on every
    /// attempt, or no credential to reach it with (a missing role or identity in Azure).
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        RequestFailedException failed => failed.Status is 0 or 408 or >= 500,
        AuthenticationFailedException => true,
        AggregateException attempts => attempts.InnerExceptions.Count > 0
                                       && attempts.InnerExceptions.All(e => IsUnavailable(e) || e is OperationCanceledException)
                                       && attempts.InnerExceptions.Any(e => e is not OperationCanceledException),
        _ => false,
    };

    /// <summary>Any failure to use storage (unanswered, refused, or no credential): what health and the background passes report and survive.</summary>
    public static bool IsStorageFailure(Exception exception) => exception switch
    {
        RequestFailedException or AuthenticationFailedException => true,
        AggregateException attempts => attempts.InnerExceptions.Count > 0
                                       && attempts.InnerExceptions.All(e => IsStorageFailure(e) || e is OperationCanceledException)
                                       && attempts.InnerExceptions.Any(e => e is not OperationCanceledException),
        _ => false,
    };
}
