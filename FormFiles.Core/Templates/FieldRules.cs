using System.Text.Json;
using FormFiles.Api;

namespace FormFiles.Templates;

/// <summary>
/// Validates and normalises template fields (Navixy's field types, design §5): every rule broken
/// gives 7 with a description that names the field and the rule. Normalised fields carry their
/// type's parameters with defaults filled in, and nothing else.
/// </summary>
public static class FieldRules
{
    public const int MaxFields = 100;
    public const int MaxTextLength = 1024;
    public const int MaxChoices = 100;
    public const int MaxStars = 10;
    public const int MaxPhotos = 6;
    public const int MaxExtensions = 16;
    public const long MaxFileSize = 16L * 1024 * 1024;

    public static IReadOnlyList<FormField> Normalize(JsonElement fields)
    {
        var count = fields.GetArrayLength();
        if (count is 0 or > MaxFields)
            throw Invalid("template.fields", $"must hold 1 to {MaxFields} fields");

        var result = new List<FormField>(count);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in fields.EnumerateArray())
        {
            var field = Normalize(Read(element, index), $"template.fields[{index}]");
            if (!ids.Add(field.Id))
                throw Invalid($"template.fields[{index}]", $"field id '{field.Id}' is used twice");
            result.Add(field);
            index++;
        }

        return result;
    }

    private static FormField Read(JsonElement element, int index)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Invalid($"template.fields[{index}]", "must be a JSON object");
        try
        {
            return element.Deserialize<FormField>(ApiJson.Options)!;
        }
        catch (JsonException e)
        {
            throw Invalid($"template.fields[{index}]{e.Path?.TrimStart('$')}", "has the wrong type");
        }
    }

    private static FormField Normalize(FormField field, string at)
    {
        if (field.Id is not { Length: >= 1 and <= 19 } || !field.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw Invalid($"{at}.id", "must be 1 to 19 letters, digits, '-' or '_'");
        at = $"{at} (field '{field.Id}')";
        if (!FieldTypes.All.Contains(field.Type))
            throw Invalid($"{at}.type", $"must be one of {string.Join(", ", FieldTypes.All)}");

        var common = new FormField
        {
            Id = field.Id,
            Label = Text.Label(field.Label, $"{at}.label", 100),
            Description = Text.Optional(field.Description, $"{at}.description", 512) is { Length: > 0 } d ? d : null,
            Required = field.Required,
            Type = field.Type,
        };
        return field.Type switch
        {
            FieldTypes.Text => TextField(field, common, at),
            FieldTypes.CheckboxGroup => CheckboxGroup(field, common, at),
            FieldTypes.Dropdown or FieldTypes.RadioGroup => common with { Options = Choices(field.Options, $"{at}.options") },
            FieldTypes.Date => common with { DisableFuture = field.DisableFuture ?? false, DisablePast = field.DisablePast ?? false },
            FieldTypes.Rating => common with { MaxStars = Between(field.MaxStars ?? 5, 1, MaxStars, $"{at}.max_stars") },
            FieldTypes.Separator => field.Required ? throw Invalid($"{at}.required", "a separator cannot be required") : common,
            FieldTypes.File => FileField(field, common, at),
            FieldTypes.Photo => common with { MaxFiles = Between(field.MaxFiles ?? MaxPhotos, 1, MaxPhotos, $"{at}.max_files") },
            _ => common, // signature: no parameters of its own
        };
    }

    private static FormField TextField(FormField field, FormField common, string at)
    {
        var min = Between(field.MinLength ?? (field.Required ? 1 : 0), 0, MaxTextLength, $"{at}.min_length");
        var max = Between(field.MaxLength ?? MaxTextLength, 1, MaxTextLength, $"{at}.max_length");
        if (min > max)
            throw Invalid($"{at}.min_length", "must not exceed max_length");
        if (field.Required && min == 0)
            throw Invalid($"{at}.min_length", "must be at least 1 when the field is required");
        return common with { MinLength = min, MaxLength = max };
    }

    private static FormField CheckboxGroup(FormField field, FormField common, string at)
    {
        var group = Choices(field.Group, $"{at}.group");
        var min = Between(field.MinChecked ?? (field.Required ? 1 : 0), 0, group.Count, $"{at}.min_checked");
        var max = Between(field.MaxChecked ?? group.Count, 1, group.Count, $"{at}.max_checked");
        if (min > max)
            throw Invalid($"{at}.min_checked", "must not exceed max_checked");
        if (field.Required && min == 0)
            throw Invalid($"{at}.min_checked", "must be at least 1 when the field is required");
        return common with { Group = group, MinChecked = min, MaxChecked = max };
    }

    private static FormField FileField(FormField field, FormField common, string at)
    {
        var max = Between(field.MaxFileSize ?? MaxFileSize, 1, MaxFileSize, $"{at}.max_file_size");
        var min = Between(field.MinFileSize ?? 0, 0, max, $"{at}.min_file_size");
        return common with { MaxFileSize = max, MinFileSize = min, AllowedExtensions = Extensions(field.AllowedExtensions, $"{at}.allowed_extensions") };
    }

    private static List<string>? Extensions(IReadOnlyList<string>? extensions, string at)
    {
        if (extensions is null)
            return null;
        if (extensions.Count is 0 or > MaxExtensions)
            throw Invalid(at, $"must hold 1 to {MaxExtensions} extensions, or be null for any");
        var normalized = extensions.Select(e => (e ?? string.Empty).TrimStart('.').ToLowerInvariant()).ToList();
        if (normalized.Any(e => e.Length is 0 or > 16 || !e.All(char.IsAsciiLetterOrDigit)))
            throw Invalid(at, "must hold extensions of 1 to 16 letters or digits");
        return normalized.Distinct(StringComparer.Ordinal).ToList();
    }

    private static List<Choice> Choices(IReadOnlyList<Choice>? choices, string at)
    {
        if (choices is null || choices.Count is 0 or > MaxChoices)
            throw Invalid(at, $"must hold 1 to {MaxChoices} items");
        return choices.Select((c, i) => new Choice(Text.Label(c?.Label ?? string.Empty, $"{at}[{i}].label", 100))).ToList();
    }

    private static T Between<T>(T value, T min, T max, string at)
        where T : System.Numerics.INumber<T> =>
        value >= min && value <= max ? value : throw Invalid(at, $"must be {min} to {max}");

    private static ApiException Invalid(string at, string rule) => ApiException.InvalidParameter(at, rule);
}
