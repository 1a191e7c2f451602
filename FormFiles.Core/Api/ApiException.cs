namespace FormFiles.Api;

/// <summary>
/// A client-visible failure: the action stops and the caller gets the Navixy error envelope with
/// <see cref="Code"/> and its HTTP status. Nothing is logged as an error for it.
/// </summary>
public sealed class ApiException(ErrorCode code, string? description = null) : Exception(description ?? code.Description())
{
    public ErrorCode Code { get; } = code;

    public static ApiException InvalidParameter(string name, string problem) =>
        new(ErrorCode.InvalidParameters, $"Invalid parameters: '{name}' {problem}");
}
