using System.Net;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Registry;

[Collection(ServiceFixture.Collection)]
public sealed class TemplateTests(ServiceFixture service)
{
    [Theory]
    [MemberData(nameof(RequestForms.All), MemberType = typeof(RequestForms))]
    public async Task Create_read_list_delete_in_each_request_form(RequestForm form)
    {
        var user = await service.Client.NewUserAsync();
        var template = new JsonObject { ["label"] = "Delivery report", ["description"] = "Fill at the door", ["fields"] = TestUser.EveryFieldType() };

        var id = (await user.CallAsync("form/template/create", new JsonObject { ["template"] = template }, form)).AssertOk().Body["id"]!.GetValue<long>();
        var read = (await user.CallAsync("form/template/read", new JsonObject { ["template_id"] = id }, form)).AssertOk();
        var list = (await user.CallAsync("form/template/list", null, form)).AssertOk();
        (await user.CallAsync("form/template/delete", new JsonObject { ["template_id"] = id }, form)).AssertOk();

        var value = read.Body["value"]!;
        Assert.Equal(id, value["id"]!.GetValue<long>());
        Assert.Equal("Delivery report", value["label"]!.GetValue<string>());
        Assert.Equal("Fill at the door", value["description"]!.GetValue<string>());
        Assert.Equal(10, value["fields"]!.AsArray().Count);
        Assert.Equal(id, Assert.Single(list.Body["list"]!.AsArray())!["id"]!.GetValue<long>());
        (await user.CallAsync("form/template/read", new JsonObject { ["template_id"] = id })).AssertError(201, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Fields_are_stored_with_their_type_parameters_and_defaults()
    {
        var user = await service.Client.NewUserAsync();
        var id = await user.CreateTemplateAsync(TestUser.EveryFieldType());

        var fields = (await user.CallAsync("form/template/read", new JsonObject { ["id"] = id })).AssertOk().Body["value"]!["fields"]!.AsArray();

        var expected = JsonNode.Parse("""
            [
              {"id":"name","label":"Name","required":true,"type":"text","min_length":2,"max_length":50},
              {"id":"checks","label":"Checks","required":false,"type":"checkbox_group","min_checked":0,"max_checked":2,"group":[{"label":"Sealed"},{"label":"Dry"}]},
              {"id":"size","label":"Size","required":false,"type":"dropdown","options":[{"label":"S"},{"label":"L"}]},
              {"id":"mood","label":"Mood","required":false,"type":"radio_group","options":[{"label":"Happy"}]},
              {"id":"when","label":"When","required":false,"type":"date","disable_future":false,"disable_past":true},
              {"id":"stars","label":"Stars","required":false,"type":"rating","max_stars":5},
              {"id":"sep","label":"Proof","required":false,"type":"separator"},
              {"id":"doc","label":"Document","required":false,"type":"file","max_file_size":1048576,"min_file_size":0,"allowed_extensions":["pdf","docx"]},
              {"id":"photo","label":"Photo","required":false,"type":"photo","max_files":3},
              {"id":"sign","label":"Signature","required":true,"type":"signature"}
            ]
            """);
        Assert.True(JsonNode.DeepEquals(expected, fields), fields.ToJsonString());
    }

    public static TheoryData<string, string> BrokenFields => new()
    {
        { """[{"id":"a","label":"A","type":"text"},{"id":"a","label":"B","type":"text"}]""", "field id 'a' is used twice" },
        { """[{"id":"abcdefghij0123456789","label":"A","type":"text"}]""", "template.fields[0].id' must be 1 to 19" },
        { """[{"id":"","label":"A","type":"text"}]""", "template.fields[0].id' must be 1 to 19" },
        { """[{"id":"a b","label":"A","type":"text"}]""", "template.fields[0].id' must be 1 to 19" },
        { """[{"id":"doc","label":"A","type":"file","max_file_size":16777217}]""", "(field 'doc').max_file_size' must be 1 to 16777216" },
        { """[{"id":"doc","label":"A","type":"file","min_file_size":10,"max_file_size":5}]""", "(field 'doc').min_file_size' must be 0 to 5" },
        { """[{"id":"pics","label":"A","type":"photo","max_files":7}]""", "(field 'pics').max_files' must be 1 to 6" },
        { """[{"id":"name","label":"A","type":"text","required":true,"min_length":0}]""", "(field 'name').min_length' must be at least 1 when the field is required" },
        { """[{"id":"name","label":"A","type":"text","min_length":10,"max_length":5}]""", "(field 'name').min_length' must not exceed max_length" },
        { """[{"id":"size","label":"A","type":"dropdown","options":[]}]""", "(field 'size').options' must hold 1 to 100 items" },
        { """[{"id":"mood","label":"A","type":"radio_group"}]""", "(field 'mood').options' must hold 1 to 100 items" },
        { """[{"id":"c","label":"A","type":"checkbox_group","group":[{"label":"x"}],"required":true,"min_checked":0}]""", "(field 'c').min_checked' must be at least 1 when the field is required" },
        { """[{"id":"doc","label":"A","type":"file","allowed_extensions":[]}]""", "(field 'doc').allowed_extensions' must hold 1 to 16 extensions" },
        { """[{"id":"doc","label":"A","type":"file","allowed_extensions":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}]""", "(field 'doc').allowed_extensions' must hold 1 to 16 extensions" },
        { """[{"id":"doc","label":"A","type":"file","allowed_extensions":["p.df"]}]""", "(field 'doc').allowed_extensions' must hold extensions of 1 to 16 letters or digits" },
        { """[{"id":"s","label":"A","type":"separator","required":true}]""", "(field 's').required' a separator cannot be required" },
        { """[{"id":"r","label":"A","type":"rating","max_stars":0}]""", "(field 'r').max_stars' must be 1 to 10" },
        { """[{"id":"x","label":"A","type":"slider"}]""", "(field 'x').type' must be one of" },
        { """[{"id":"x","label":"","type":"text"}]""", "(field 'x').label' must be 1 to 100" },
        { """[{"id":"x","label":"A","type":"photo","max_files":"many"}]""", "template.fields[0].max_files' has the wrong type" },
        { """["text"]""", "template.fields[0]' must be a JSON object" },
        { """[]""", "template.fields' must hold 1 to 100 fields" },
    };

    [Theory]
    [MemberData(nameof(BrokenFields))]
    public async Task Template_that_breaks_a_rule_gives_7_naming_the_field_and_the_rule(string fields, string problem)
    {
        var user = await service.Client.NewUserAsync();

        var response = (await user.CallAsync("form/template/create", new JsonObject
        {
            ["template"] = new JsonObject { ["label"] = "Broken", ["fields"] = JsonNode.Parse(fields) },
        })).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains(problem, response.Description, StringComparison.Ordinal);
        Assert.Empty((await user.CallAsync("form/template/list")).AssertOk().Body["list"]!.AsArray());
    }

    [Theory]
    [InlineData("""{"fields": [{"id":"a","label":"A","type":"text"}]}""", "'template.label' is required")]
    [InlineData("""{"label": "T"}""", "'template.fields' is required")]
    [InlineData("""{"label": "T", "fields": {"id": "a"}}""", "'template.fields' must be a JSON array")]
    public async Task Template_without_label_or_fields_gives_7(string template, string problem)
    {
        var user = await service.Client.NewUserAsync();

        var response = (await user.CallAsync("form/template/create", new JsonObject { ["template"] = JsonNode.Parse(template) }))
            .AssertError(7, HttpStatusCode.BadRequest);

        Assert.Contains(problem, response.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_holds_at_most_the_cap_under_parallel_creates_and_the_list_pages_through_them()
    {
        var user = await service.Client.NewUserAsync();
        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["rate_limit_per_second"] = 100_000, ["rate_limit_burst"] = 100_000 })).AssertOk();
        JsonArray Fields() => [new JsonObject { ["id"] = "n", ["label"] = "N", ["type"] = "text" }];
        var cap = FormFiles.Templates.TemplateStore.MaxPerUser;
        await Parallel.ForEachAsync(Enumerable.Range(0, cap - 10), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) => await user.CreateTemplateAsync(Fields(), $"t{i}"));

        var last = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => user.CallAsync("form/template/create", new JsonObject { ["template"] = new JsonObject { ["label"] = $"last {i}", ["fields"] = Fields() } })));
        Assert.Equal(10, last.Count(a => a.Success));
        Assert.All(last.Where(a => !a.Success), a => a.AssertError(7, System.Net.HttpStatusCode.BadRequest));

        var listed = new List<long>();
        long? next = null;
        do
        {
            var page = (await user.CallAsync("form/template/list", new JsonObject { ["next"] = next })).AssertOk();
            Assert.InRange(page.Body["list"]!.AsArray().Count, 1, FormFiles.Templates.TemplateStore.MaxPage);
            listed.AddRange(page.Body["list"]!.AsArray().Select(t => t!["id"]!.GetValue<long>()));
            next = page.Body["next"]?.GetValue<long>();
        }
        while (next is not null);
        Assert.Equal(cap, listed.Distinct().Count());

        // A delete makes room for one more.
        (await user.CallAsync("form/template/delete", new JsonObject { ["template_id"] = listed[0] })).AssertOk();
        await user.CreateTemplateAsync(Fields(), "room again");
    }

    [Fact]
    public async Task Another_users_template_is_not_found()
    {
        var owner = await service.Client.NewUserAsync();
        var other = await service.Client.NewUserAsync();
        var id = await owner.CreateTemplateAsync(TestUser.EveryFieldType());
        var taskOfOther = await other.CreateTaskAsync();

        (await other.CallAsync("form/template/read", new JsonObject { ["template_id"] = id })).AssertError(201, HttpStatusCode.BadRequest);
        (await other.CallAsync("form/template/delete", new JsonObject { ["template_id"] = id })).AssertError(201, HttpStatusCode.BadRequest);
        Assert.Empty((await other.CallAsync("form/template/list")).AssertOk().Body["list"]!.AsArray());
        (await other.CallAsync("task/form/create", new JsonObject { ["task_id"] = taskOfOther, ["template_id"] = id })).AssertError(201, HttpStatusCode.BadRequest);
        (await other.CallAsync("task/create", new JsonObject { ["task"] = new JsonObject { ["label"] = "x", ["form_template_id"] = id }, ["create_form"] = true }))
            .AssertError(201, HttpStatusCode.BadRequest);
        (await owner.CallAsync("form/template/read", new JsonObject { ["template_id"] = id })).AssertOk();
    }

    [Fact]
    public async Task View_only_key_reads_templates_but_cannot_change_them()
    {
        var owner = await service.Client.NewUserAsync();
        var id = await owner.CreateTemplateAsync(TestUser.EveryFieldType());
        var viewer = owner with { Hash = await service.Client.NewKeyAsync(owner.Id, "task_view") };

        (await viewer.CallAsync("form/template/read", new JsonObject { ["template_id"] = id })).AssertOk();
        (await viewer.CallAsync("form/template/list")).AssertOk();
        (await viewer.CallAsync("form/template/delete", new JsonObject { ["template_id"] = id })).AssertError(11, HttpStatusCode.Forbidden);
        (await viewer.CallAsync("form/template/create", new JsonObject { ["template"] = new JsonObject { ["label"] = "T", ["fields"] = TestUser.EveryFieldType() } }))
            .AssertError(11, HttpStatusCode.Forbidden);
    }
}
