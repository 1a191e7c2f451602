using System.Text.Json;
using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Files;
using FormFiles.Storage;
using FormFiles.Tasks;
using FormFiles.Telemetry;
using FormFiles.Webhooks;

namespace FormFiles.Submissions;

/// <summary>
/// <c>task/form/submit</c> and <c>task/form/values/update</c> (design §5). Values are validated
/// field by field (242 lists every failure); then one entity-group transaction, conditional on the
/// ETags of the task row and of every file row it changes, is the single commit point: the values,
/// the submitted time and the location are stored, the referenced files become submitted, and the
/// uploaded files no value references become deleted. A submission that loses a race (412) starts
/// over on the new state. Blobs and quota of the deleted files are settled right after the commit.
/// </summary>
public sealed partial class FormSubmission(
    Tables tables, TaskStore tasks, UploadCompletion completion, FileRemoval removal, WebhookRelay relay, FormFilesMetrics metrics, TimeProvider time, ILogger<FormSubmission> logger)
{
    public const int MaxValuesBytes = 60 * 1024;
    private const int MaxChangesPerCommit = 99; // With the task row: the 100 changes a transaction takes (98 when an outbox row goes too).

    /// <param name="mode">A submission, an update of a submitted form, or a merge: <paramref name="given"/>'s fields
    /// replace theirs in the values the form holds at the moment of the commit (a null removes one), as the
    /// submission the first time and as an update after; only the named fields' unreferenced uploads are deleted.</param>
    public async Task SubmitAsync(long userId, long taskId, JsonElement given, string? location, SubmissionMode mode, CancellationToken cancellationToken)
    {
        var announced = new HashSet<long>();
        Announcement? announcement = null;
        var judgedAgain = false;
        await Contention.RetryAsync(async () =>
        {
            var task = await tasks.LoadAsync(userId, taskId, cancellationToken);
            if (task.FormId is null)
                throw NotFound.Form();
            if (!TaskStatuses.AllowsFormChanges(task.Status))
                throw new ApiException(ErrorCode.InvalidTaskState, $"Invalid task state: the task is {task.Status}; a form is submitted only while it is unassigned, assigned or arrived");
            if (mode == SubmissionMode.Update && task.FormSubmitted is null)
                throw new ApiException(ErrorCode.InvalidTaskState, "Invalid task state: the form was never submitted; use task/form/submit first");
            var update = mode == SubmissionMode.Update || (mode == SubmissionMode.Merge && task.FormSubmitted is not null);
            var values = mode == SubmissionMode.Merge ? Merged(task.FormValues, given) : given;

            var files = await CompleteReferencedAsync(task, values, await FilesAsync(task, cancellationToken), cancellationToken);
            var now = time.GetUtcNow();
            var outcome = ValueRules.Validate(task.ReadFormFields(), values, files, ApiDate.Current.Day(now), partial: mode == SubmissionMode.Merge);
            if (outcome.Errors.Count > 0)
            {
                // The task row and the files are two reads: a change between them (another merge dropping a file the
                // stored values named) is no error of this call's values. Judge again, once, on the new state.
                if (!judgedAgain && await ChangedSinceAsync(task, cancellationToken))
                {
                    judgedAgain = true;
                    return false;
                }

                await WithdrawAsync(taskId, announced, announcement, cancellationToken);
                throw new ApiException(ErrorCode.ValidationFailed, "There were errors during content validation", outcome.Errors);
            }

            var bound = outcome.FileIds.Select(id => files[id]).Where(f => !f.Submitted).ToList();
            // A merge leaves the uploads of the fields it does not name alone.
            var dropped = files.Values.Where(f => f.State == FileStates.Uploaded && !outcome.FileIds.Contains(f.Id)
                                                  && (mode != SubmissionMode.Merge || given.TryGetProperty(f.FieldId, out _))).ToList();
            if (bound.Count + dropped.Count > MaxChangesPerCommit)
                throw ApiException.InvalidParameter("values", $"may bind and drop at most {MaxChangesPerCommit} files in one submission");

            var newlyDropped = dropped.Where(f => !announced.Contains(f.Id)).ToList();
            if (newlyDropped.Count > 0)
            {
                announcement ??= new Announcement(now);
                await removal.AnnounceAsync(newlyDropped, announcement, cancellationToken);
                announced.UnionWith(newlyDropped.Select(f => f.Id));
            }

            foreach (var file in bound)
                file.Submitted = true;
            foreach (var file in dropped)
            {
                file.State = FileStates.Deleted;
                file.Submitted = false;
            }

            task.FormValues = JsonSerializer.SerializeToUtf8Bytes(outcome.Values);
            if (task.FormValues.Length > MaxValuesBytes)
                throw ApiException.InvalidParameter("values", $"must take at most {MaxValuesBytes} bytes as JSON");
            var first = task.FormSubmitted is null;
            task.FormSubmitted = now;
            if (!update)
                task.FormSubmitLocation = location;
            task.RecountUnsubmitted(files.Values);

            var changes = bound.Concat(dropped).Select(f => new TableTransactionAction(TableTransactionActionType.UpdateReplace, f, f.ETag))
                .Prepend(new TableTransactionAction(TableTransactionActionType.UpdateReplace, task, task.ETag)).ToList();
            var recorded = await relay.RecordAsync(userId, task.Id,
                [Events.FormSubmitted(task, outcome.FileIds, first, now), .. dropped.Select(f => Events.File(EventTypes.FileDeleted, f, now, DeleteReasons.Submission))],
                cancellationToken);
            if (recorded is not null)
            {
                if (bound.Count + dropped.Count > MaxChangesPerCommit - 1)
                    throw ApiException.InvalidParameter("values", $"may bind and drop at most {MaxChangesPerCommit - 1} files in one submission while webhooks are on");
                changes.Add(recorded.Outbox);
            }

            // The witness: the outbox row (only this submission writes it), else the task row.
            announcement?.ThrowIfLate(time);
            var landed = recorded is null
                ? await tables.Tasks.TrySubmitAsync(changes, task, cancellationToken)
                : await tables.Tasks.TrySubmitAsync(changes, recorded.Row, cancellationToken);
            if (!landed)
                return false; // Another submission, reservation or completion changed the form first: start over on the new state.
            relay.Committed(recorded);
            if (dropped.Count > 0)
                metrics.Deleted(DeleteReasons.Submission, dropped.Count);

            Submitted(logger, task.Id, task.FormId!.Value, bound.Count, dropped.Count);
            if (announcement is not null)
            {
                // Every announced file that is deleted now is finished, also one an earlier attempt of this submission deleted.
                var deleted = files.Values.Where(f => f.State == FileStates.Deleted && announced.Contains(f.Id)).ToList();
                await removal.FinishAsync(deleted, announcement, cancellationToken);
                await removal.WithdrawAsync(taskId, announced.Except(deleted.Select(f => f.Id)), announcement, cancellationToken);
            }

            return true;
        }, cancellationToken);
    }

    private async Task<bool> ChangedSinceAsync(TaskEntity task, CancellationToken cancellationToken)
    {
        var stored = await tables.Tasks.GetEntityIfExistsAsync<TableEntity>(task.PartitionKey, TaskEntity.Row, ["RowKey"], cancellationToken);
        return !stored.HasValue || stored.Value!.ETag != task.ETag;
    }

    /// <summary>The stored values with <paramref name="given"/>'s fields in place of theirs (a null removes one).</summary>
    /// <summary>
    /// 242 unless <paramref name="values"/> would pass as the first merge into a new form of <paramref name="fields"/> (no
    /// files yet, fields left out allowed): for what is made only to take them (a template's kick-off task).
    /// </summary>
    public void CheckFirstMerge(IReadOnlyList<Templates.FormField> fields, JsonElement values)
    {
        var outcome = ValueRules.Validate(fields, values, new Dictionary<long, FileEntity>(), ApiDate.Current.Day(time.GetUtcNow()), partial: true);
        if (outcome.Errors.Count > 0)
            throw new ApiException(ErrorCode.ValidationFailed, "There were errors during content validation", outcome.Errors);
    }

    private static JsonElement Merged(byte[]? stored, JsonElement given)
    {
        var values = stored is null ? [] : System.Text.Json.Nodes.JsonNode.Parse(stored)!.AsObject();
        foreach (var field in given.EnumerateObject())
        {
            if (field.Value.ValueKind == JsonValueKind.Null)
                values.Remove(field.Name);
            else
                values[field.Name] = System.Text.Json.Nodes.JsonNode.Parse(field.Value.GetRawText());
        }

        return JsonSerializer.SerializeToElement(values);
    }

    private async Task WithdrawAsync(long taskId, HashSet<long> announced, Announcement? announcement, CancellationToken cancellationToken)
    {
        if (announcement is not null)
            await removal.WithdrawAsync(taskId, announced, announcement, cancellationToken);
    }

    /// <summary>A referenced file still <c>created</c> whose blob exists is completed first: a late event does not fail the submission.</summary>
    private async Task<Dictionary<long, FileEntity>> CompleteReferencedAsync(TaskEntity task, JsonElement values, Dictionary<long, FileEntity> files, CancellationToken cancellationToken)
    {
        var waiting = ValueRules.ReferencedFileIds(values).Where(id => files.TryGetValue(id, out var f) && f.AwaitsUpload).ToList();
        foreach (var id in waiting)
            await completion.HandleAsync(files[id].BlobName, cancellationToken);
        return waiting.Count == 0 ? files : await FilesAsync(task, cancellationToken);
    }

    [LoggerMessage(EventId = 2400, Level = LogLevel.Information, Message = "Form {FormId} of task {TaskId} submitted: {Bound} files bound, {Dropped} deleted")]
    private static partial void Submitted(ILogger logger, long taskId, long formId, int bound, int dropped);

    private async Task<Dictionary<long, FileEntity>> FilesAsync(TaskEntity task, CancellationToken cancellationToken)
    {
        var files = await tables.FilesOfTaskAsync(task.PartitionKey, cancellationToken);
        return files.Where(f => f.FormId == task.FormId && !f.IsAttachment()).ToDictionary(f => f.Id);
    }
}

public enum SubmissionMode
{
    Submit,
    Update,
    Merge,
}
