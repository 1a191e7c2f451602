using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FormFiles.Api;
using FormFiles.Files;
using FormFiles.Templates;

namespace FormFiles.Submissions;

/// <summary>
/// Validates form values against the form's fields (Navixy's value objects), every field at once:
/// the failures become the <c>errors</c> of a 242 answer, with the codes of design §4.
/// </summary>
public static class ValueRules
{
    public const int Required = 1, TypeMismatch = 2, Null = 3, OutOfBounds = 4, InvalidSize = 5,
        BelowMinimum = 6, AboveMaximum = 7, InvalidReference = 8, InvalidFileType = 9, InvalidFileState = 10;

    /// <summary>The most files one file field may hold.</summary>
    public const int MaxFilesPerField = 6;

    /// <summary>What a valid submission stores (each value object with its numbers as numbers) and binds.</summary>
    public sealed record Outcome(IReadOnlyList<FieldError> Errors, Dictionary<string, JsonObject> Values, HashSet<long> FileIds);

    /// <param name="files">The task's files by id (those of other tasks are simply absent).</param>
    /// <param name="partial">A partial save (a merge): a required field with no value is no error (null still is).</param>
    public static Outcome Validate(IReadOnlyList<FormField> fields, JsonElement values, IReadOnlyDictionary<long, FileEntity> files, DateOnly today, bool partial = false)
    {
        var errors = new List<FieldError>();
        var stored = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var fileIds = new HashSet<long>();
        foreach (var field in fields)
        {
            if (field.Type == FieldTypes.Separator)
                continue;
            var present = values.TryGetProperty(field.Id, out var value);
            var kept = present && value.ValueKind == JsonValueKind.Object ? JsonObject.Create(value.Clone())! : null;
            var error = !present ? (field.Required && !partial ? Fail(Required, "the field is required") : null)
                : value.ValueKind == JsonValueKind.Null ? (field.Required ? Fail(Null, "the value is null") : null)
                : kept is null || !TypeMatches(field, value) ? Fail(TypeMismatch, $"the value must be a {field.Type} value object")
                : Check(field, value, kept, files, today, fileIds);
            if (error is not null)
                errors.Add(error with { FieldId = field.Id });
            else if (kept is not null)
                stored[field.Id] = kept;
        }

        return new Outcome(errors, stored, fileIds);
    }

    /// <summary>The file ids a values object names (as <c>file_id</c> or in <c>file_ids</c>), whatever their fields: before validation, to complete late uploads.</summary>
    public static IEnumerable<long> ReferencedFileIds(JsonElement values)
    {
        foreach (var value in values.EnumerateObject().Select(p => p.Value).Where(v => v.ValueKind == JsonValueKind.Object))
        {
            if (value.TryGetProperty("file_id", out var single) && JsonValues.TryGetInt64(single, out var id))
                yield return id;
            if (value.TryGetProperty("file_ids", out var many) && many.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in many.EnumerateArray())
                {
                    if (JsonValues.TryGetInt64(item, out var each))
                        yield return each;
                }
            }
        }
    }

    /// <param name="kept">The value object as it will be stored; numbers sent quoted are written back as numbers.</param>
    private static FieldError? Check(FormField field, JsonElement value, JsonObject kept, IReadOnlyDictionary<long, FileEntity> files, DateOnly today, HashSet<long> fileIds) =>
        field.Type switch
        {
            FieldTypes.Text => TextValue(field, value),
            FieldTypes.CheckboxGroup => Checkboxes(field, value),
            FieldTypes.Dropdown or FieldTypes.RadioGroup => Choice(field, value, kept),
            FieldTypes.Date => DateValue(field, value, today),
            FieldTypes.Rating => Rating(field, value, kept),
            FieldTypes.File or FieldTypes.Photo => FileList(field, value, kept, files, fileIds),
            FieldTypes.Signature => SingleFile(field, value, kept, files, fileIds),
            _ => null,
        };

    private static bool TypeMatches(FormField field, JsonElement value) =>
        value.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
        && (type.GetString() == field.Type || (field.Type == FieldTypes.Signature && type.GetString() == FieldTypes.File));

    private static FieldError? TextValue(FormField field, JsonElement value)
    {
        if (!value.TryGetProperty("value", out var text) || text.ValueKind != JsonValueKind.String)
            return Fail(TypeMismatch, "'value' must be a string");
        var length = text.GetString()!.Length;
        if (length == 0)
            return field.Required ? Fail(Required, "the field is required") : null;
        return length < field.MinLength || length > field.MaxLength
            ? Fail(InvalidSize, $"text length must be {field.MinLength} to {field.MaxLength}")
            : null;
    }

    private static FieldError? Checkboxes(FormField field, JsonElement value)
    {
        if (!value.TryGetProperty("values", out var boxes) || boxes.ValueKind != JsonValueKind.Array
            || boxes.EnumerateArray().Any(b => b.ValueKind is not (JsonValueKind.True or JsonValueKind.False)))
        {
            return Fail(TypeMismatch, "'values' must be an array of booleans");
        }

        if (boxes.GetArrayLength() != field.Group!.Count)
            return Fail(InvalidSize, $"'values' must hold {field.Group.Count} booleans, one for each checkbox");
        var checkedCount = boxes.EnumerateArray().Count(b => b.GetBoolean());
        if (checkedCount == 0 && field.Required)
            return Fail(Required, "the field is required");
        if (checkedCount == 0)
            return null;
        return checkedCount < field.MinChecked ? Fail(BelowMinimum, $"at least {field.MinChecked} must be checked")
            : checkedCount > field.MaxChecked ? Fail(AboveMaximum, $"at most {field.MaxChecked} may be checked")
            : null;
    }

    private static FieldError? Choice(FormField field, JsonElement value, JsonObject kept)
    {
        if (!value.TryGetProperty("value_index", out var index) || !JsonValues.TryGetInt32(index, out var i))
            return Fail(TypeMismatch, "'value_index' must be an integer");
        kept["value_index"] = i;
        return i < 0 || i >= field.Options!.Count ? Fail(OutOfBounds, $"'value_index' must be 0 to {field.Options!.Count - 1}") : null;
    }

    private static FieldError? DateValue(FormField field, JsonElement value, DateOnly today)
    {
        if (!value.TryGetProperty("value", out var text) || text.ValueKind != JsonValueKind.String || !TryParseDate(text.GetString()!, out var date))
            return Fail(TypeMismatch, $"'value' must be a date as yyyy-MM-dd, {ApiDate.Format} or ISO 8601 with an offset");
        return field.DisablePast == true && date < today ? Fail(BelowMinimum, "the date may not be in the past")
            : field.DisableFuture == true && date > today ? Fail(AboveMaximum, "the date may not be in the future")
            : null;
    }

    private static FieldError? Rating(FormField field, JsonElement value, JsonObject kept)
    {
        if (!value.TryGetProperty("value", out var stars) || !JsonValues.TryGetInt32(stars, out var n))
            return Fail(TypeMismatch, "'value' must be an integer");
        kept["value"] = n;
        return n < 1 ? Fail(BelowMinimum, "a rating is at least 1 star")
            : n > field.MaxStars ? Fail(AboveMaximum, $"a rating is at most {field.MaxStars} stars")
            : null;
    }

    private static FieldError? FileList(FormField field, JsonElement value, JsonObject kept, IReadOnlyDictionary<long, FileEntity> files, HashSet<long> fileIds)
    {
        if (!value.TryGetProperty("file_ids", out var ids) || ids.ValueKind != JsonValueKind.Array)
            return Fail(TypeMismatch, "'file_ids' must be an array of file ids");
        var list = new List<long>();
        foreach (var item in ids.EnumerateArray())
        {
            if (!JsonValues.TryGetInt64(item, out var id))
                return Fail(TypeMismatch, "'file_ids' must be an array of file ids");
            list.Add(id);
        }

        kept["file_ids"] = new JsonArray(list.Select(id => (JsonNode)id).ToArray());
        if (list.Count == 0)
            return field.Required ? Fail(Required, "the field is required") : null;
        var max = field.Type == FieldTypes.Photo ? field.MaxFiles!.Value : MaxFilesPerField;
        if (list.Count > max || list.Distinct().Count() != list.Count)
            return Fail(InvalidSize, $"'file_ids' must hold 1 to {max} different files");
        return Files(field, list, files, fileIds);
    }

    private static FieldError? SingleFile(FormField field, JsonElement value, JsonObject kept, IReadOnlyDictionary<long, FileEntity> files, HashSet<long> fileIds)
    {
        if (!value.TryGetProperty("file_id", out var id) || !JsonValues.TryGetInt64(id, out var fileId))
            return Fail(TypeMismatch, "'file_id' must be a file id");
        kept["file_id"] = fileId;
        return Files(field, [fileId], files, fileIds);
    }

    private static FieldError? Files(FormField field, List<long> ids, IReadOnlyDictionary<long, FileEntity> files, HashSet<long> fileIds)
    {
        foreach (var id in ids)
        {
            if (!files.TryGetValue(id, out var file) || file.FieldId != field.Id || file.State == FileStates.Deleted)
                return Fail(InvalidReference, $"file {id} is not a file of this task's field '{field.Id}'");
            if (file.State != FileStates.Uploaded)
                return Fail(InvalidFileState, $"file {id} is {file.State}, not uploaded");
            if (field.Type != FieldTypes.File && file.Type != "image")
                return Fail(InvalidFileType, $"file {id} is not an image");
        }

        fileIds.UnionWith(ids);
        return null;
    }

    private static bool TryParseDate(string text, out DateOnly date)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
            return true;
        var parsed = ApiDate.TryParse(text, out var moment);
        date = ApiDate.Current.Day(moment);
        return parsed;
    }

    private static FieldError Fail(int code, string error) => new(string.Empty, code, error);
}
