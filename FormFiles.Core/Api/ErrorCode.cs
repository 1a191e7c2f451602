namespace FormFiles.Api;

/// <summary>The Navixy status codes this service answers with (design §4).</summary>
public enum ErrorCode
{
    StorageError = 1,
    WrongHash = 3,
    KeyNotFound = 4,
    WrongRequestFormat = 5,
    UnexpectedError = 6,
    InvalidParameters = 7,
    RequestTooLarge = 9,
    AccessDenied = 11,
    StorageUnavailable = 14,
    TooManyRequests = 15,
    WrongHandler = 111,
    WrongMethod = 112,
    NotFound = 201,
    EntityTypeMismatch = 231,
    ValidationFailed = 242,
    AlreadyExists = 247,
    InvalidTaskState = 255,
    TooManyEntities = 267,
    OverQuota = 268,
    InvalidFileState = 269,
    FileTooLarge = 271,
}

/// <summary>The error table: each code's HTTP status and default description, in one place.</summary>
public static class ErrorCodes
{
    public static int HttpStatus(this ErrorCode code) => code switch
    {
        ErrorCode.StorageError or ErrorCode.UnexpectedError => StatusCodes.Status500InternalServerError,
        ErrorCode.RequestTooLarge => StatusCodes.Status412PreconditionFailed,
        ErrorCode.AccessDenied => StatusCodes.Status403Forbidden,
        ErrorCode.StorageUnavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorCode.TooManyRequests => StatusCodes.Status429TooManyRequests,
        ErrorCode.WrongHandler => StatusCodes.Status404NotFound,
        ErrorCode.WrongMethod => StatusCodes.Status405MethodNotAllowed,
        ErrorCode.EntityTypeMismatch or ErrorCode.AlreadyExists => StatusCodes.Status409Conflict,
        ErrorCode.OverQuota => StatusCodes.Status402PaymentRequired,
        ErrorCode.FileTooLarge => StatusCodes.Status413PayloadTooLarge,
        _ => StatusCodes.Status400BadRequest,
    };

    public static string Description(this ErrorCode code) => code switch
    {
        ErrorCode.StorageError => "Database error",
        ErrorCode.WrongHash => "Wrong hash",
        ErrorCode.KeyNotFound => "User or API key not found or session ended",
        ErrorCode.WrongRequestFormat => "Wrong request format",
        ErrorCode.UnexpectedError => "Unexpected error",
        ErrorCode.InvalidParameters => "Invalid parameters",
        ErrorCode.RequestTooLarge => "Too large request",
        ErrorCode.AccessDenied => "Access denied",
        ErrorCode.StorageUnavailable => "Database unavailable",
        ErrorCode.TooManyRequests => "Too many requests (rate limit exceeded)",
        ErrorCode.WrongHandler => "Wrong handler",
        ErrorCode.WrongMethod => "Wrong method",
        ErrorCode.NotFound => "Not found in database",
        ErrorCode.EntityTypeMismatch => "Entity type mismatch",
        ErrorCode.ValidationFailed => "Form values validation failed",
        ErrorCode.AlreadyExists => "Entity already exists",
        ErrorCode.InvalidTaskState => "Invalid task state",
        ErrorCode.TooManyEntities => "Too many entities",
        ErrorCode.OverQuota => "File cannot be created due to quota violation",
        ErrorCode.InvalidFileState => "Invalid file state",
        ErrorCode.FileTooLarge => "File size is larger than the maximum allowed",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };
}
