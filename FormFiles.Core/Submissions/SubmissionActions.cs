using System.Text.Json;
using System.Text.Json.Nodes;
using FormFiles.Api;
using FormFiles.Auth;

namespace FormFiles.Submissions;

/// <summary><c>task/form/submit {task_id, values, location?}</c> (ours: Navixy's mobile-app submission).</summary>
internal sealed class TaskFormSubmitAction(ApiKeys keys, FormSubmission submissions) : IApiAction
{
    public string Name => "task/form/submit";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var p = request.Parameters;
        var taskId = p.RequiredInt64("task_id");
        var values = p.RequiredObject("values");
        var location = p.OptionalObject("location") is { } l ? Location(l) : null;
        await submissions.SubmitAsync(caller.UserId, taskId, values, location, SubmissionMode.Submit, cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }

    /// <summary><c>{lat, lng, address?}</c>, as Navixy's submit_location; 7 otherwise.</summary>
    private static string Location(JsonElement location)
    {
        double? Coordinate(string name, double limit) =>
            location.TryGetProperty(name, out var v) && JsonValues.TryGetDouble(v, out var d) && Math.Abs(d) <= limit ? d : null;
        var lat = Coordinate("lat", 90) ?? throw ApiException.InvalidParameter("location.lat", "must be a latitude, -90 to 90");
        var lng = Coordinate("lng", 180) ?? throw ApiException.InvalidParameter("location.lng", "must be a longitude, -180 to 180");
        var address = location.TryGetProperty("address", out var a) && a.ValueKind == JsonValueKind.String
            ? Text.Optional(a.GetString(), "location.address", 512)
            : null;
        return new JsonObject { ["lat"] = lat, ["lng"] = lng, ["address"] = address }.ToJsonString();
    }
}

/// <summary><c>task/form/values/update {task_id, values}</c>: the same rules, for a form submitted before.</summary>
internal sealed class TaskFormValuesUpdateAction(ApiKeys keys, FormSubmission submissions) : IApiAction
{
    public string Name => "task/form/values/update";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var taskId = request.Parameters.RequiredInt64("task_id");
        var values = request.Parameters.RequiredObject("values");
        await submissions.SubmitAsync(caller.UserId, taskId, values, location: null, SubmissionMode.Update, cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }
}

/// <summary>
/// <c>task/form/values/merge {task_id, values}</c> (ours): the given fields replace theirs in the form's
/// values as they are at the commit (a null removes one), the rest stays, and so do the uploads of fields
/// it does not name; the first time it is the submission, after it an update, with their rules, save that a
/// required field may be left without a value (a partial save, as Tallyfy saves task data). Two merges of
/// different fields both keep theirs.
/// </summary>
internal sealed class TaskFormValuesMergeAction(ApiKeys keys, FormSubmission submissions) : IApiAction
{
    public string Name => "task/form/values/merge";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var taskId = request.Parameters.RequiredInt64("task_id");
        var values = request.Parameters.RequiredObject("values");
        await submissions.SubmitAsync(caller.UserId, taskId, values, location: null, SubmissionMode.Merge, cancellationToken);
        return ApiResults.Ok(new EmptyResponse());
    }
}
