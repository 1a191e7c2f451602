using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FormFiles.Api;
using FormFiles.Files;
using FormFiles.Templates;

namespace FormFiles.Dialects.Tallyfy;

/// <summary>
/// Tallyfy's checklists are FormFiles templates, and a checklist's kick-off form (<c>prerun</c>) is the form of the template's
/// kick-off task (<see cref="KickoffTasks"/>): <c>uploaded_from=ko_field</c> with <c>subject_type=Checklist</c> uploads onto
/// it, <c>PUT /checklists/{id}</c> merges its <c>prerun</c> values into it, and <c>GET /checklists/{id}</c> shows it.
/// </summary>
public sealed partial class TallyfyEndpoints
{
    /// <summary>What Tallyfy's kick-off uploads send as <c>uploaded_from</c> instead of a field id.</summary>
    private const string KickoffField = "ko_field";

    /// <summary>
    /// A kick-off field: <c>uploaded_from</c> is <c>ko_field</c> (the kick-off form's one file-bearing field; 422 when it has
    /// several, which are then named by their id) or a field id. Both are found on the template first, so that an unknown
    /// checklist or field makes no kick-off task; then the kick-off task, made on first use.
    /// </summary>
    private async Task<(string, long, JsonObject, string)> KickoffFieldAsync(Call api, IReadOnlyDictionary<string, string> fields, string checklist)
    {
        var uploadedFrom = Field(fields, "uploaded_from");
        if (fields.GetValueOrDefault("checklist_id") is { Length: > 0 } named && named != checklist)
            throw Invalid("checklist_id must be the subject_id of a kick-off upload");
        var templateId = TemplateId(checklist);
        var template = TemplateFields(await TemplateAsync(api, templateId));
        var fieldId = template.Any(f => f.Id == uploadedFrom && f.HoldsFiles) ? uploadedFrom // A field of that id first, ko_field too.
            : uploadedFrom != KickoffField ? throw NotFound($"Checklist {checklist}'s kick-off form has no file field '{uploadedFrom}'")
            : template.Where(f => f.HoldsFiles).Take(2).ToList() switch
            {
                [var only] => only.Id,
                [] => throw Invalid($"Checklist {checklist}'s kick-off form has no file field"),
                _ => throw Invalid($"Checklist {checklist}'s kick-off form has several file fields: send the field's id as uploaded_from"),
            };
        var taskId = (await kickoffs.FindAsync(api.Org, templateId, create: true, api.Context.RequestAborted))!.Value;
        return (Checklist, taskId, await FormAsync(api, taskId), fieldId);
    }

    /// <summary>The caller's template (<c>form/template/read</c>'s value): 404 when it is not one of the caller's.</summary>
    private async Task<JsonNode> TemplateAsync(Call api, long templateId) =>
        Check(await dispatcher.ReadAsync(api.Context, "form/template/read", ApiParameters.Of(api.Parameters(new() { ["template_id"] = templateId })))).Body["value"]!;

    private static List<FormField> TemplateFields(JsonNode template) =>
        [.. template["fields"]!.AsArray().Select(f => f.Deserialize<FormField>(ApiJson.Options)!)];

    /// <summary>
    /// <c>GET</c> or <c>PUT /checklists/{id}</c>: the checklist with its kick-off fields and their values. A PUT merges the
    /// <c>value</c> of each <c>prerun</c> entry that has one (entries without are left as they are; <c>title</c> and the
    /// fields' other properties are accepted and left alone: a template does not change).
    /// </summary>
    private async Task<JsonObject> ChecklistAsync(Call api, string checklist, bool update)
    {
        var templateId = TemplateId(checklist);
        var named = update ? Prerun(await BodyAsync(api, body => body.RequiredArray("prerun"))) : [];
        var template = await TemplateAsync(api, templateId);
        var (fields, shown) = (TemplateFields(template), new JsonObject());
        var formName = $"Checklist {checklist}'s kick-off form";
        var values = Values(fields.ToDictionary(f => f.Id, StringComparer.Ordinal), named, formName, "prerun");
        var taskId = await kickoffs.FindAsync(api.Org, templateId, create: false, api.Context.RequestAborted);
        if (taskId is null && values.Count > 0)
        {
            // Every rule a first merge applies, on the template's fields, before a kick-off task is made for them: a refused put makes none.
            submissions.CheckFirstMerge(fields, JsonSerializer.SerializeToElement(values));
            taskId = await kickoffs.FindAsync(api.Org, templateId, create: true, api.Context.RequestAborted);
        }

        if (taskId is { } kickoff)
        {
            JsonObject form;
            (form, shown) = await MergeAsync(api, kickoff, named, formName, "prerun", asset => Subject(asset, checklist, Checklist));
            fields = [.. Fields(form)]; // The form's copy of the fields (a read, or a put without values, makes no kick-off task: then the template's, without values).
        }

        return new JsonObject
        {
            ["id"] = checklist,
            ["title"] = template["label"]?.DeepClone(),
            ["kickoff_task_id"] = taskId,
            ["prerun"] = new JsonArray([.. fields.Select((f, i) => (JsonNode)new JsonObject
            {
                ["id"] = f.Id,
                ["label"] = f.Label,
                ["field_type"] = FieldType(f.Type),
                ["required"] = f.Required,
                ["position"] = i + 1,
                ["value"] = shown[f.Id]?.DeepClone(),
            })]),
        };
    }

    /// <summary><c>prerun</c>'s entries that carry a <c>value</c>: objects with a string <c>id</c>, else 422.</summary>
    private static List<(string, JsonElement)> Prerun(JsonElement prerun)
    {
        var named = new List<(string, JsonElement)>();
        foreach (var (entry, i) in prerun.EnumerateArray().Select((e, i) => (e, i)))
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
                throw Invalid($"prerun[{i}] must be an object with the kick-off field's id");
            if (entry.TryGetProperty("value", out var value))
                named.Add((id.GetString()!, value));
        }

        return named;
    }

    /// <summary>Tallyfy's name for a field type where it has one; ours otherwise.</summary>
    private static string FieldType(string type) => type switch
    {
        FieldTypes.File or FieldTypes.Photo or FieldTypes.Signature => "file",
        FieldTypes.RadioGroup => "radio",
        FieldTypes.CheckboxGroup => "multiselect",
        _ => type,
    };

    private static long TemplateId(string checklist) =>
        long.TryParse(checklist, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : throw NotFound($"No such checklist '{checklist}'");
}
