using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;
using FormFiles.Templates;

namespace FormFiles.Tasks;

/// <summary>
/// A task and its form, in one row: the row <c>task</c> of the task's own partition (PK task id),
/// so that one read finds both and one ETag-conditional write changes both. The form keeps its own
/// copy of the template's fields. In <c>usertasks</c> the task's list columns are copied under PK
/// user id, RK task id, for task/list; <see cref="Version"/> keeps an older copy from replacing a newer one.
/// </summary>
public sealed class TaskEntity : IStampedEntity
{
    public const string Row = "task";

    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = Row;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>The operation that last wrote this row (<see cref="StampedWrites"/>).</summary>
    public string? Op { get; set; }

    public long Id { get; set; }

    public long UserId { get; set; }

    public string Label { get; set; } = string.Empty;

    public string? Description { get; set; }

    public string? ExternalId { get; set; }

    public DateTimeOffset? From { get; set; }

    public DateTimeOffset? To { get; set; }

    /// <summary>On a list copy only: <see cref="From"/>, or the earliest date storage holds, so that a window compares a column every copy has.</summary>
    public DateTimeOffset? ListFrom { get; set; }

    /// <summary>On a list copy only: <see cref="To"/>, or the latest date storage holds.</summary>
    public DateTimeOffset? ListTo { get; set; }

    public string Status { get; set; } = TaskStatuses.Unassigned;

    public DateTimeOffset Created { get; set; }

    public DateTimeOffset StatusChanged { get; set; }

    /// <summary>Grows with every change that task/list shows.</summary>
    public long Version { get; set; }

    /// <summary>The last file sequence handed out on this task (see <see cref="Files.FileIds"/>): a file id is never given twice.</summary>
    public long FileSequence { get; set; }

    /// <summary>The task's latest further block of file ids and which of its blocks that is (0 while its own block lasts; see <see cref="Files.FileIds"/>).</summary>
    public long FileBlock { get; set; }

    public int FileBlockIndex { get; set; }

    public long? FormId { get; set; }

    public long? FormTemplateId { get; set; }

    public string? FormLabel { get; set; }

    public string? FormDescription { get; set; }

    /// <summary>The form's fields as UTF-8 JSON.</summary>
    public byte[]? FormFields { get; set; }

    public DateTimeOffset? FormCreated { get; set; }

    /// <summary>The last submission's values (field id → value object), as UTF-8 JSON.</summary>
    public byte[]? FormValues { get; set; }

    public DateTimeOffset? FormSubmitted { get; set; }

    /// <summary>Where the form was last submitted (<c>{lat, lng, address}</c>), as JSON.</summary>
    public string? FormSubmitLocation { get; set; }

    /// <summary>Unsubmitted files per form field, as JSON (<c>{"photo": 2}</c>): the admission counter of the six-file limit.</summary>
    public string? FieldFiles { get; set; }

    public int UnsubmittedFiles(string fieldId) =>
        FieldFiles is null ? 0 : JsonSerializer.Deserialize<Dictionary<string, int>>(FieldFiles)!.GetValueOrDefault(fieldId);

    public void CountUnsubmitted(string fieldId, int delta)
    {
        var counts = FieldFiles is null ? [] : JsonSerializer.Deserialize<Dictionary<string, int>>(FieldFiles)!;
        counts[fieldId] = Math.Max(0, counts.GetValueOrDefault(fieldId) + delta);
        FieldFiles = JsonSerializer.Serialize(counts);
    }

    /// <summary>Attachments attached to the task (<c>task/file/attach</c>); at most <c>FormFiles:MaxTaskAttachments</c>.</summary>
    public int AttachedFiles { get; set; }

    /// <summary>The field a file of <paramref name="fieldId"/> is held to: a form field, or the task attachments' rules.</summary>
    public FormField? FileTarget(string fieldId) => fieldId == Files.Attachments.FieldId ? Files.Attachments.Field : FormField(fieldId);

    public FormField? FormField(string fieldId) => FormId is null
        ? null
        : Templates.FormFields.Read(FormFields!).FirstOrDefault(f => f.Id == fieldId);

    /// <summary>A copy to change without touching this one (the form's field bytes are never changed in place).</summary>
    public TaskEntity Clone() => (TaskEntity)MemberwiseClone();

    public TaskView ToView() => new(Id, UserId, Label, Description, ExternalId, From, To, Status, StatusChanged, Created);

    public void AttachForm(long formId, TemplateEntity template, DateTimeOffset now)
    {
        FormId = formId;
        FormTemplateId = template.Id;
        FormLabel = template.Label;
        FormDescription = template.Description;
        FormFields = template.Fields;
        FormCreated = now;
    }

    /// <summary>The form goes with its values and its fields' counters; the task attachments' count stays.</summary>
    public void DetachForm()
    {
        var attachments = UnsubmittedFiles(Files.Attachments.FieldId);
        FieldFiles = null;
        if (attachments > 0)
            CountUnsubmitted(Files.Attachments.FieldId, attachments);
        FormValues = null;
        FormSubmitted = null;
        FormSubmitLocation = null;
        FormId = FormTemplateId = null;
        FormLabel = FormDescription = null;
        FormFields = null;
        FormCreated = null;
    }

    public FormView? FormView() => FormId is { } id
        ? new FormView(
            id,
            Id,
            FormTemplateId,
            FormLabel!,
            FormDescription,
            Templates.FormFields.Read(FormFields!),
            FormCreated!.Value,
            FormValues is null ? null : JsonDocument.Parse(FormValues).RootElement.Clone(),
            FormSubmitted,
            FormSubmitLocation is null ? null : JsonDocument.Parse(FormSubmitLocation).RootElement.Clone())
        : null;

    /// <summary>The form's fields (empty without a form).</summary>
    public IReadOnlyList<FormField> ReadFormFields() =>
        FormFields is null ? [] : Templates.FormFields.Read(FormFields);

    /// <summary>Sets the form fields' unsubmitted-file counters from the form's files the partition will hold (the task attachments' count stays).</summary>
    public void RecountUnsubmitted(IEnumerable<Files.FileEntity> files)
    {
        var counts = files
            .Where(f => f.AwaitsUpload || (f.State == Files.FileStates.Uploaded && !f.Submitted))
            .GroupBy(f => f.FieldId)
            .ToDictionary(g => g.Key, g => g.Count());
        counts[Files.Attachments.FieldId] = UnsubmittedFiles(Files.Attachments.FieldId);
        FieldFiles = JsonSerializer.Serialize(counts);
    }
}

/// <summary>A task as the API shows it (Navixy's names).</summary>
public sealed record TaskView(
    long Id,
    long UserId,
    string Label,
    string? Description,
    string? ExternalId,
    DateTimeOffset? From,
    DateTimeOffset? To,
    string Status,
    DateTimeOffset StatusChangeDate,
    DateTimeOffset CreationDate);

/// <summary>A form as the API shows it (Navixy's form object).</summary>
public sealed record FormView(
    long Id,
    long TaskId,
    long? TemplateId,
    string Label,
    string? Description,
    IReadOnlyList<FormField> Fields,
    DateTimeOffset Created,
    JsonElement? Values,
    DateTimeOffset? Submitted,
    JsonElement? SubmitLocation);
