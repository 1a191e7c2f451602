using System.Text.Json;
using System.Text.Json.Nodes;
using FormFiles.Api;
using FormFiles.Templates;

namespace FormFiles.Dialects.Tallyfy;

/// <summary>
/// Tallyfy's <c>taskdata</c> values, as its clients send them, in the canonical form of the run's form field: assets for
/// file, photo and signature fields; for the others a text, a date string, a number of stars, a choice by its label
/// (a string, or an object with <c>text</c>) or position, checkboxes by the labels checked (strings, or objects with
/// <c>text</c> and <c>selected</c>). Null clears a value. Whether a value fits the field is the canonical merge's to say.
/// </summary>
internal static class TaskDataValues
{
    /// <returns>The canonical value, or null to clear; an error message when the value has no reading for the field.</returns>
    public static (JsonNode? Value, string? Error) Canonical(FormField field, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
            return (null, null);
        return field.Type switch
        {
            FieldTypes.File or FieldTypes.Photo or FieldTypes.Signature => Assets(field, value),
            FieldTypes.Text or FieldTypes.Date => value.ValueKind switch
            {
                JsonValueKind.String => (Typed(field, "value", value.GetString()), null),
                JsonValueKind.Number => (Typed(field, "value", value.GetRawText()), null),
                _ => (null, "must be a string"),
            },
            FieldTypes.Rating => value.ValueKind == JsonValueKind.Number ? (Typed(field, "value", JsonNode.Parse(value.GetRawText())), null) : (null, "must be a number of stars"),
            FieldTypes.Dropdown or FieldTypes.RadioGroup => Choice(field, value),
            FieldTypes.CheckboxGroup => Checkboxes(field, value),
            _ => (null, $"is a {field.Type}, which holds no value"),
        };
    }

    /// <summary>A canonical value of a field other than a file's, as Tallyfy shows it: text, stars, the chosen option's text, the checked options' texts.</summary>
    public static JsonNode? Shown(FormField field, JsonNode? value) => field.Type switch
    {
        FieldTypes.Dropdown or FieldTypes.RadioGroup => value?["value_index"] is JsonValue i && (field.Options ?? []).ElementAtOrDefault(i.GetValue<int>()) is { } chosen
            ? new JsonObject { ["text"] = chosen.Label }
            : null,
        FieldTypes.CheckboxGroup => new JsonArray([.. (value?["values"]?.AsArray() ?? []).Select((b, i) => (Checked: b?.GetValue<bool>() == true, Choice: (field.Group ?? []).ElementAtOrDefault(i)))
            .Where(b => b.Checked && b.Choice is not null).Select(b => (JsonNode)b.Choice!.Label)]),
        _ => value?["value"]?.DeepClone(),
    };

    private static (JsonNode?, string?) Assets(FormField field, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
            return (null, "must be a list of assets");
        var ids = new JsonArray();
        foreach (var asset in value.EnumerateArray())
        {
            if (asset.ValueKind != JsonValueKind.Object || !asset.TryGetProperty("id", out var id) || !JsonValues.TryGetInt64(id, out var fileId))
                return (null, "holds an asset without a valid id");
            ids.Add(fileId);
        }

        return field.Type switch
        {
            FieldTypes.Signature when ids.Count == 0 => (null, null), // Cleared.
            FieldTypes.Signature when ids.Count > 1 => (null, "is a signature: one asset at most"),
            FieldTypes.Signature => (Typed(field, "file_id", ids[0]!.DeepClone()), null),
            _ => (Typed(field, "file_ids", ids), null),
        };
    }

    private static (JsonNode?, string?) Choice(FormField field, JsonElement value)
    {
        var options = field.Options ?? [];
        int? index = value.ValueKind switch
        {
            JsonValueKind.Number when JsonValues.TryGetInt32(value, out var i) => i,
            JsonValueKind.String => IndexOf(options, value.GetString()),
            JsonValueKind.Object when value.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String => IndexOf(options, text.GetString()),
            _ => null,
        };
        return index is { } found ? (Typed(field, "value_index", found), null) : (null, "must name one of the field's options (its text)");
    }

    private static (JsonNode?, string?) Checkboxes(FormField field, JsonElement value)
    {
        var group = field.Group ?? [];
        if (value.ValueKind != JsonValueKind.Array)
            return (null, "must be a list of the checked options");
        var boxes = new bool[group.Count];
        foreach (var item in value.EnumerateArray())
        {
            var (label, selected) = item.ValueKind switch
            {
                JsonValueKind.String => (item.GetString(), true),
                JsonValueKind.Object when item.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String =>
                    (text.GetString(), !item.TryGetProperty("selected", out var on) || on.ValueKind != JsonValueKind.False),
                _ => (null, false),
            };
            if (IndexOf(group, label) is not { } at)
                return (null, "must name the field's options (their text)");
            boxes[at] |= selected;
        }

        return (Typed(field, "values", new JsonArray([.. boxes.Select(b => (JsonNode)b)])), null);
    }

    private static int? IndexOf(IReadOnlyList<Choice> choices, string? label)
    {
        for (var i = 0; i < choices.Count; i++)
        {
            if (string.Equals(choices[i].Label, label, StringComparison.Ordinal))
                return i;
        }

        return null;
    }

    private static JsonObject Typed(FormField field, string name, JsonNode? value) =>
        new() { ["type"] = field.Type, [name] = value };
}
