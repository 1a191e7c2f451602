using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary><c>task/form/file/read {file_id}</c> → <c>{value: form_file}</c>; 201 for another user's file, as for a missing one.</summary>
internal sealed class FileReadAction(ApiKeys keys, Tables tables, FileViews views) : IApiAction
{
    public string Name => "task/form/file/read";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var fileId = request.Parameters.RequiredInt64("file_id");
        var file = await tables.FindFileAsync(fileId, cancellationToken);
        if (file is null || file.UserId != caller.UserId || file.State == FileStates.Deleted)
            throw new ApiException(ErrorCode.NotFound, "Not found in database: no such file");
        return ApiResults.Ok(new ValueResponse<FormFileView>((await views.ViewAsync(file, cancellationToken)).As(request.Parameters)));
    }
}
