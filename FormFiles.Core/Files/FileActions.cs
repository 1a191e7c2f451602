using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Quota;

namespace FormFiles.Files;

/// <summary>
/// <c>task/form/file/create {task_id, field_id, size, filename?, metadata?}</c> → <c>{value: credentials}</c>.
/// Checks: 3/4 → 11 → 7 (types) → 201 → 231 → 255 → 271 → 7 (values) → 267 → 268.
/// </summary>
internal sealed class FileCreateAction(ApiKeys keys, Reservations reservations) : IApiAction
{
    public string Name => "task/form/file/create";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var taskId = request.Parameters.RequiredInt64("task_id");
        return await reservations.AnswerAsync(caller, request, taskId, request.Parameters.RequiredString("field_id"), cancellationToken);
    }
}

/// <summary><c>file/stats/read</c> → <c>{value: {file_count, total_size, quota}}</c>; total_size counts reserved and uploaded bytes.</summary>
internal sealed class FileStatsAction(ApiKeys keys, QuotaLedger quota) : IApiAction
{
    public string Name => "file/stats/read";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var totals = await quota.ReadAsync(caller.UserId, cancellationToken);
        return ApiResults.Ok(new ValueResponse<FileStats>(new FileStats(totals.FileCount, totals.UsedBytes, totals.QuotaBytes)));
    }
}

internal sealed record FileStats(long FileCount, long TotalSize, long Quota);
