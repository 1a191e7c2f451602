using System.Text.Json.Serialization;

namespace FormFiles.Templates;

/// <summary>
/// One field of a form template or form, with Navixy's common parameters and the parameters of its
/// type (the others are absent). See <see cref="FieldRules"/> for what is allowed.
/// </summary>
public sealed record FormField
{
    public string Id { get; init; } = string.Empty;

    public string Label { get; init; } = string.Empty;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Description { get; init; }

    public bool Required { get; init; }

    public string Type { get; init; } = string.Empty;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MinLength { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxLength { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MinChecked { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxChecked { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Choice>? Group { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Choice>? Options { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? DisableFuture { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? DisablePast { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxStars { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? MaxFileSize { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? MinFileSize { get; init; }

    /// <summary>Null means any extension (Navixy); never empty.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? AllowedExtensions { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxFiles { get; init; }

    /// <summary>Whether this field's value holds file ids (file, photo, signature).</summary>
    [JsonIgnore]
    public bool HoldsFiles => Type is FieldTypes.File or FieldTypes.Photo or FieldTypes.Signature;
}

/// <summary>
/// Reads a stored field list (UTF-8 JSON). A form's field bytes never change once written, so each
/// byte array is parsed once and the result kept as long as the array lives.
/// </summary>
public static class FormFields
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], IReadOnlyList<FormField>> Parsed = new();

    public static IReadOnlyList<FormField> Read(byte[] json) =>
        Parsed.GetValue(json, bytes => System.Text.Json.JsonSerializer.Deserialize<List<FormField>>(bytes, Api.ApiJson.Options)!);
}

/// <summary>One checkbox of a group, or one option of a dropdown or radio group.</summary>
public sealed record Choice(string Label);

public static class FieldTypes
{
    public const string Text = "text";
    public const string CheckboxGroup = "checkbox_group";
    public const string Dropdown = "dropdown";
    public const string RadioGroup = "radio_group";
    public const string Date = "date";
    public const string Rating = "rating";
    public const string Separator = "separator";
    public const string File = "file";
    public const string Photo = "photo";
    public const string Signature = "signature";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Text, CheckboxGroup, Dropdown, RadioGroup, Date, Rating, Separator, File, Photo, Signature,
    };
}
