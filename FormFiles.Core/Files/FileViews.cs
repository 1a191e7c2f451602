using System.Text.Json;
using FormFiles.Storage;

namespace FormFiles.Files;

/// <summary>Files as the API shows them (Navixy's <c>form_file</c>), with their lasting download URL once uploaded.</summary>
public sealed class FileViews(Tables tables, DownloadLinks links)
{
    /// <summary>The files of a task's form, in id order, all but deleted ones.</summary>
    public Task<List<FormFileView>> ListAsync(long taskId, CancellationToken cancellationToken) =>
        ListAsync(taskId, file => file.State != FileStates.Deleted && !file.IsAttachment(), cancellationToken);

    /// <summary>A task's attachments that are reserved, uploaded or attached, in id order.</summary>
    public Task<List<FormFileView>> AttachmentsAsync(long taskId, CancellationToken cancellationToken) =>
        ListAsync(taskId, file => file.IsAttachment() && file.State is not (FileStates.Deleted or FileStates.Rejected), cancellationToken);

    private async Task<List<FormFileView>> ListAsync(long taskId, Func<FileEntity, bool> shown, CancellationToken cancellationToken)
    {
        var views = new List<FormFileView>();
        foreach (var file in await tables.FilesOfTaskAsync(Tables.Key(taskId), cancellationToken))
        {
            if (shown(file))
                views.Add(await ViewAsync(file, cancellationToken));
        }

        return views;
    }

    public async Task<FormFileView> ViewAsync(FileEntity file, CancellationToken cancellationToken) =>
        View(file, file.State == FileStates.Uploaded ? await links.LinkAsync(file.Id, cancellationToken) : null);

    /// <summary>The view of <paramref name="file"/> with <paramref name="downloadUrl"/> (none in an event: a URL there would outlive its use).</summary>
    public static FormFileView View(FileEntity file, Uri? downloadUrl) => new(
        file.Id,
        file.UserId,
        file.Type,
        file.Created,
        file.Uploaded,
        file.Name,
        file.Size ?? file.ReservedSize,
        file.MimeType,
        file.Metadata is null ? null : JsonDocument.Parse(file.Metadata).RootElement.Clone(),
        file.State,
        file.Rejection,
        downloadUrl,
        file.IsAttachment()
            ? new FileBindings(null, new TaskBinding(file.TaskId, file.Submitted))
            : new FileBindings(new FormFieldBinding(file.FormId, file.FieldId, file.Submitted, file.TaskId), null));
}

/// <summary>What a call shows of <paramref name="view"/>: Navixy's states unless it sends <c>precise_states: true</c> (its <c>rejection</c> says why either way).</summary>
public static class FormFileViews
{
    public static FormFileView As(this FormFileView view, Api.ApiParameters parameters) =>
        parameters.OptionalBoolean(FileStates.PreciseParameter) == true ? view : view with { State = FileStates.Navixy(view.State) };
}

/// <summary>Navixy's <c>form_file</c>; <c>size</c> is the reserved maximum until the upload is done; <c>rejection</c> (ours) says why a rejected upload was refused.</summary>
public sealed record FormFileView(
    long Id,
    long UserId,
    string Type,
    DateTimeOffset Created,
    DateTimeOffset? Uploaded,
    string? Name,
    long Size,
    string? MimeType,
    JsonElement? Metadata,
    string State,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Rejection,
    Uri? DownloadUrl,
    FileBindings Bindings);

/// <summary>Where a file belongs: a form field, or (a task attachment) the task.</summary>
public sealed record FileBindings(
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] FormFieldBinding? FormField,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] TaskBinding? Task);

public sealed record TaskBinding(long TaskId, bool Attached);

/// <summary>A form field's file; <c>task_id</c> (ours) names the task whose form it is.</summary>
public sealed record FormFieldBinding(long FormId, string FieldId, bool Submitted, long TaskId);
