using FormFiles.Templates;

namespace FormFiles.Files;

/// <summary>
/// Task-level attachments: files on a task, outside any form field. They are files like the others
/// (reservation, upload, completion, quota, events, sweep), bound to the pseudo field <see cref="FieldId"/>,
/// which no template can name: its six slots count the task's unattached uploads, and "submitted" means
/// attached. An upload left unattached goes with the sweep after <c>FormFiles:UnattachedTtl</c>.
/// </summary>
public static class Attachments
{
    public const string FieldId = "@task";

    /// <summary>The rules an attachment is held to: any content, up to <c>FormFiles:MaxFileSize</c>.</summary>
    public static FormField Field { get; } = new() { Id = FieldId, Label = "Task attachment", Type = FieldTypes.File };

    public static bool IsAttachment(this FileEntity file) => file.FieldId == FieldId;
}
