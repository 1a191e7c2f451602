namespace FormFiles.Api;

/// <summary>
/// A client-visible failure: the action stops and the caller gets the Navixy error envelope with
/// <see cref="Code"/> and its HTTP status. Nothing is logged as an error for it.
/// </summary>
public sealed class ApiException(ErrorCode code, string? description = null, IReadOnlyList<FieldError>? errors = null)
    : Exception(description ?? code.Description())
{
    public ErrorCode Code { get; } = code;

    /// <summary>Per-field failures of code 242.</summary>
    public IReadOnlyList<FieldError>? Errors { get; } = errors;

    public static ApiException InvalidParameter(string name, string problem) =>
        new(ErrorCode.InvalidParameters, $"Invalid parameters: '{name}' {problem}");
}

/// <summary>One field's failure inside a 242 answer: <c>{field_id, code, error}</c> (design §4 codes 1–10).</summary>
public sealed record FieldError(string FieldId, int Code, string Error);
