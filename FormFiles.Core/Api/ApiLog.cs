namespace FormFiles.Api;

internal static partial class ApiLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Error,
        Message = "Unhandled error in action {Action} (request {RequestId})")]
    public static partial void UnhandledError(ILogger logger, Exception exception, string action, string requestId);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "Storage unavailable (HTTP {StorageStatus}) in action {Action} (request {RequestId})")]
    public static partial void StorageUnavailable(ILogger logger, Exception exception, int storageStatus, string action, string requestId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error,
        Message = "Storage error (HTTP {StorageStatus}, {StorageErrorCode}) in action {Action} (request {RequestId})")]
    public static partial void StorageError(ILogger logger, Exception exception, int storageStatus, string? storageErrorCode, string action, string requestId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "Error in action {Action} after the response had started (request {RequestId})")]
    public static partial void ResponseAlreadyStarted(ILogger logger, Exception exception, string action, string requestId);
}
