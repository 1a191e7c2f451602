using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Storage;

namespace FormFiles.Templates;

/// <summary><c>form/template/create {template: {label, description?, fields}}</c> → <c>{id}</c>.</summary>
internal sealed class TemplateCreateAction(ApiKeys keys, TemplateStore templates, IdAllocator ids, TimeProvider time) : IApiAction
{
    public string Name => "form/template/create";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var template = request.Parameters.Nested("template");
        var entity = new TemplateEntity
        {
            Label = Text.Label(template.RequiredString("label"), "template.label", 100),
            Description = Text.Optional(template.OptionalString("description"), "template.description", 512),
            Fields = TemplateEntity.WriteFields(FieldRules.Normalize(template.RequiredArray("fields"))),
            Created = time.GetUtcNow(),
        };
        entity.Id = await ids.NextAsync("template", cancellationToken);
        await templates.AddAsync(caller.UserId, entity, cancellationToken);
        return ApiResults.Ok(new IdResponse(entity.Id));
    }
}

/// <summary><c>form/template/read {template_id}</c> (or <c>id</c>) → <c>{value}</c>.</summary>
internal sealed class TemplateReadAction(ApiKeys keys, TemplateStore templates) : IApiAction
{
    public string Name => "form/template/read";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var template = await templates.FindAsync(caller.UserId, TemplateId.Read(request.Parameters), cancellationToken) ?? throw NotFound.Template();
        return ApiResults.Ok(new ValueResponse<TemplateView>(template.ToView()));
    }
}

/// <summary><c>form/template/list {next?, limit?}</c> → <c>{list, next?}</c>, a page of the caller's templates by id.</summary>
internal sealed class TemplateListAction(ApiKeys keys, TemplateStore templates) : IApiAction
{
    public string Name => "form/template/list";

    public Access Access => Access.Read;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        var p = request.Parameters;
        var limit = p.OptionalInt64("limit") ?? TemplateStore.MaxPage;
        if (limit is < 1 or > TemplateStore.MaxPage)
            throw ApiException.InvalidParameter("limit", $"must be 1 to {TemplateStore.MaxPage}");
        if (p.OptionalInt64("next") is < 0)
            throw ApiException.InvalidParameter("next", "must be the next of a previous page");
        var (page, next) = await templates.ListAsync(caller.UserId, p.OptionalInt64("next"), (int)limit, cancellationToken);
        return ApiResults.Ok(new TemplatePage(page.Select(t => t.ToView()).ToList(), next));
    }
}

/// <param name="Next">Where the next page starts (pass it as <c>next</c>); absent on the last page.</param>
internal sealed record TemplatePage(
    IReadOnlyList<TemplateView> List,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? Next) : ApiResponse;

/// <summary><c>form/template/delete {template_id}</c> (or <c>id</c>). Forms made from it keep their copy of its fields.</summary>
internal sealed class TemplateDeleteAction(ApiKeys keys, TemplateStore templates) : IApiAction
{
    public string Name => "form/template/delete";

    public Access Access => Access.Write;

    public async Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var caller = await keys.AuthenticateAsync(request.Parameters, Access, cancellationToken);
        return await templates.DeleteAsync(caller.UserId, TemplateId.Read(request.Parameters), cancellationToken)
            ? ApiResults.Ok(new EmptyResponse())
            : throw NotFound.Template();
    }
}

/// <summary>Navixy names the parameter <c>template_id</c>; design §5 names it <c>id</c>. Both are read.</summary>
internal static class TemplateId
{
    public static long Read(ApiParameters parameters) => parameters.OptionalInt64("template_id") ?? parameters.RequiredInt64("id");
}
