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
    /// <summary>Storage did not answer: no connection, a timeout, 408 or 5xx, on every attempt.</summary>
    public static bool DidNotAnswer(Exception exception) => exception switch
    {
        RequestFailedException failed => failed.Status is 0 or 408 or >= 500,
        AggregateException attempts => attempts.InnerExceptions.Count > 0
                                       && attempts.InnerExceptions.All(e => DidNotAnswer(e) || e is OperationCanceledException)
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
