using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using FormFiles.Storage;
using FormFiles.Api;

namespace FormFiles.Templates;

/// <summary>A form template: PK the owner's user id, RK the template id; fields as UTF-8 JSON (up to 64 KiB).</summary>
public sealed class TemplateEntity : IStampedEntity
{
    public const int MaxFieldsBytes = 64 * 1024;

    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string? Op { get; set; }

    public long Id { get; set; }

    public string Label { get; set; } = string.Empty;

    public string? Description { get; set; }

    public byte[] Fields { get; set; } = [];

    public DateTimeOffset Created { get; set; }

    /// <summary>The task that holds the template's kick-off form (<see cref="KickoffTasks"/>), once one was made.</summary>
    public long? KickoffTaskId { get; set; }

    public IReadOnlyList<FormField> ReadFields() => FormFields.Read(Fields);

    public static byte[] WriteFields(IReadOnlyList<FormField> fields)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(fields, ApiJson.Options);
        return bytes.Length <= MaxFieldsBytes
            ? bytes
            : throw ApiException.InvalidParameter("template.fields", $"must take at most {MaxFieldsBytes} bytes as JSON");
    }

    public TemplateView ToView() => new(Id, Label, Description, ReadFields(), Created);
}

/// <summary>A form template as the API shows it.</summary>
public sealed record TemplateView(long Id, string Label, string? Description, IReadOnlyList<FormField> Fields, DateTimeOffset Created);
