using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;
using static FormFiles.Tests.Infrastructure.TallyfySeed;

namespace FormFiles.Tests.Dialects;

/// <summary>
/// Seed 004's kick-off path, request by request: the upload with <c>uploaded_from=ko_field</c>, <c>subject_type=Checklist</c>
/// and the template as <c>subject_id</c>; then, as the seed advises, the checklist fetched first and put back with the file
/// field's <c>value</c> set to the asset (<c>PUT /organizations/{org}/checklists/{checklist_id}</c>). A checklist is a
/// template; its kick-off form is the form of its one kick-off task.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class TallyfyKickoffTests(ServiceFixture service)
{
    private static JsonArray Fields =>
    [
        new JsonObject { ["id"] = "notes", ["label"] = "Notes", ["type"] = "text" },
        new JsonObject { ["id"] = "contract", ["label"] = "Contract", ["type"] = "photo", ["max_files"] = 6 },
    ];

    [Fact]
    public async Task The_seeds_kickoff_upload_then_its_prerun_put_attach_the_file_to_the_checklist()
    {
        var user = await service.Client.NewUserAsync();
        var checklist = await user.CreateTemplateAsync(Fields, "Onboarding");
        var bytes = Uploads.JpegLike(2100);

        var (status, body) = await KickoffUploadAsync(service.Client, user, bytes, "contract.jpg", checklist);

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        var asset = body["data"]![0]!.AsObject();
        Assert.Equal("ko_field", asset["uploaded_from"]!.GetValue<string>());
        Assert.Equal("Checklist", asset["subject"]!["type"]!.GetValue<string>());
        Assert.Equal(checklist.ToString(CultureInfo.InvariantCulture), asset["subject"]!["id"]!.GetValue<string>());

        // "It's safest to fetch the existing prerun fields first and modify only the target one."
        var (fetchedStatus, fetched) = await SendAsync(user, HttpMethod.Get, checklist, null);
        Assert.Equal(HttpStatusCode.OK, fetchedStatus);
        var prerun = fetched["data"]!["prerun"]!.AsArray();
        Assert.Equal(["notes", "contract"], prerun.Select(f => f!["id"]!.GetValue<string>()));
        Assert.Equal("file", prerun[1]!["field_type"]!.GetValue<string>());
        prerun[1]!["value"] = new JsonArray(asset.DeepClone());
        prerun[0]!["value"] = "Signed on site";

        var (putStatus, put) = await SendAsync(user, HttpMethod.Put, checklist, new JsonObject { ["prerun"] = prerun.DeepClone(), ["title"] = "Onboarding (renamed)" });

        Assert.True(putStatus == HttpStatusCode.OK, put.ToJsonString());
        var shown = put["data"]!.AsObject();
        Assert.Equal("Onboarding", shown["title"]!.GetValue<string>()); // A template does not change.
        Assert.Equal("Signed on site", shown["prerun"]![0]!["value"]!.GetValue<string>());
        var attached = shown["prerun"]![1]!["value"]!.AsArray().Single()!;
        Assert.Equal(asset["id"]!.GetValue<string>(), attached["id"]!.GetValue<string>());
        Assert.Equal("Checklist", attached["subject"]!["type"]!.GetValue<string>());

        // The kick-off task holds the submitted values, and the file is served like any asset.
        var kickoff = shown["kickoff_task_id"]!.GetValue<long>();
        var tasks = (await user.CallAsync("task/list", new JsonObject { ["external_id"] = $"kickoff-{checklist}" })).AssertOk().Body["list"]!.AsArray();
        Assert.Equal(kickoff, tasks.Single()!["id"]!.GetValue<long>());
        var form = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = kickoff })).AssertOk().Body;
        Assert.Equal(long.Parse(asset["id"]!.GetValue<string>(), CultureInfo.InvariantCulture), form["value"]!["values"]!["contract"]!["file_ids"]![0]!.GetValue<long>());
        Assert.True(form["files"]![0]!["bindings"]!["form_field"]!["submitted"]!.GetValue<bool>());
        using var download = await service.Client.SendAsync(Authorized(HttpMethod.Get, $"/organizations/{user.Id}/file/{asset["id"]}/dl", user.Hash));
        Assert.Equal(bytes, await download.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_checklist_read_before_anything_was_put_shows_its_fields_and_makes_no_task()
    {
        var user = await service.Client.NewUserAsync();
        var checklist = await user.CreateTemplateAsync(Fields);

        var (status, body) = await SendAsync(user, HttpMethod.Get, checklist, null);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(body["data"]!["kickoff_task_id"]);
        Assert.All(body["data"]!["prerun"]!.AsArray(), f => Assert.Null(f!["value"]));
        Assert.Empty((await user.CallAsync("task/list")).AssertOk().Body["list"]!.AsArray());
    }

    [Fact]
    public async Task First_kickoff_uploads_in_parallel_share_one_kickoff_task()
    {
        var user = await service.Client.NewUserAsync();
        var checklist = await user.CreateTemplateAsync(Fields);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => KickoffUploadAsync(service.Client, user, Uploads.JpegLike(1000 + i), $"p{i}.jpg", checklist)));

        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK, a.Body.ToJsonString()));
        var tasks = (await user.CallAsync("task/list")).AssertOk().Body["list"]!.AsArray();
        var kickoff = Assert.Single(tasks)!["id"]!.GetValue<long>(); // The racers that lost deleted theirs.
        var files = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = kickoff })).AssertOk().Body["files"]!.AsArray();
        Assert.Equal(answers.Select(a => a.Body["data"]![0]!["id"]!.GetValue<string>()).Order(), files.Select(f => f!["id"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture)).Order());
        Assert.Equal(6 * 1000 + 15, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["total_size"]!.GetValue<long>());
    }

    [Fact]
    public async Task Ko_field_names_the_one_file_field_and_otherwise_the_field_id_is_needed()
    {
        var user = await service.Client.NewUserAsync();
        var checklist = await user.CreateTemplateAsync([.. Fields.Select(f => f!.DeepClone()), new JsonObject { ["id"] = "id_scan", ["label"] = "ID", ["type"] = "file" }]);

        var (ambiguous, ambiguousBody) = await KickoffUploadAsync(service.Client, user, Uploads.JpegLike(900), "p.jpg", checklist);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, ambiguous);
        Assert.Contains("uploaded_from", ambiguousBody["message"]!.GetValue<string>(), StringComparison.Ordinal);

        var (named, namedBody) = await KickoffUploadAsync(service.Client, user, Uploads.JpegLike(900), "p.jpg", checklist, uploadedFrom: "id_scan");
        Assert.True(named == HttpStatusCode.OK, namedBody.ToJsonString());
        Assert.Equal("id_scan", namedBody["data"]![0]!["uploaded_from"]!.GetValue<string>());
        Assert.Equal(900, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["total_size"]!.GetValue<long>()); // The refused one kept nothing.
    }

    [Fact]
    public async Task Unknown_checklists_fields_and_bodies_and_read_only_keys_are_refused_and_change_nothing()
    {
        var user = await service.Client.NewUserAsync();
        var checklist = await user.CreateTemplateAsync(Fields);
        var other = await service.Client.NewUserAsync();
        var theirs = await other.CreateTemplateAsync(Fields);

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(user, HttpMethod.Get, theirs, null)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await KickoffUploadAsync(service.Client, user, Uploads.JpegLike(900), "p.jpg", theirs)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(user, HttpMethod.Put, checklist, new JsonObject { ["prerun"] = new JsonArray(new JsonObject { ["id"] = "nope", ["value"] = "x" }) })).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await SendAsync(user, HttpMethod.Put, checklist, new JsonObject { ["prerun"] = new JsonArray("notes") })).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await SendAsync(user, HttpMethod.Put, checklist, new JsonObject { ["prerun"] = new JsonArray(new JsonObject { ["id"] = "notes", ["value"] = new JsonObject() }) })).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await SendAsync(user, HttpMethod.Put, checklist, new JsonObject { ["title"] = "no prerun" })).Status);

        var reader = new TestUser(user.Id, await service.Client.NewKeyAsync(user.Id, "task_view"), service.Client);
        var (readOnly, readOnlyBody) = await SendAsync(reader, HttpMethod.Put, checklist, new JsonObject { ["prerun"] = new JsonArray(new JsonObject { ["id"] = "notes", ["value"] = "x" }) });
        Assert.Equal(HttpStatusCode.Forbidden, readOnly);
        Assert.Equal(11, readOnlyBody["code"]!.GetValue<int>());

        // No refused put made a kick-off task.
        var (_, read) = await SendAsync(user, HttpMethod.Get, checklist, null);
        Assert.Null(read["data"]!["kickoff_task_id"]);
        Assert.Empty((await user.CallAsync("task/list")).AssertOk().Body["list"]!.AsArray());
    }

    [Fact]
    public async Task A_deleted_kickoff_task_or_form_is_replaced_by_a_new_one()
    {
        var user = await service.Client.NewUserAsync();
        var checklist = await user.CreateTemplateAsync(Fields);
        var first = (await SendAsync(user, HttpMethod.Put, checklist, Notes("first"))).Body["data"]!["kickoff_task_id"]!.GetValue<long>();
        (await user.CallAsync("task/delete", new JsonObject { ["task_id"] = first })).AssertOk();

        var (status, body) = await SendAsync(user, HttpMethod.Put, checklist, Notes("second"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEqual(first, body["data"]!["kickoff_task_id"]!.GetValue<long>());
        Assert.Equal("second", body["data"]!["prerun"]![0]!["value"]!.GetValue<string>());

        // So is one whose form was deleted.
        var second = body["data"]!["kickoff_task_id"]!.GetValue<long>();
        (await user.CallAsync("task/form/delete", new JsonObject { ["task_id"] = second })).AssertOk();
        var (_, third) = await SendAsync(user, HttpMethod.Put, checklist, Notes("third"));
        Assert.NotEqual(second, third["data"]!["kickoff_task_id"]!.GetValue<long>());
        Assert.Equal("third", third["data"]!["prerun"]![0]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_put_the_fields_rules_refuse_makes_no_kickoff_task_and_one_they_pass_may_leave_required_fields_empty()
    {
        var user = await service.Client.NewUserAsync();
        var checklist = await user.CreateTemplateAsync(
        [
            new JsonObject { ["id"] = "signed_by", ["label"] = "Signed by", ["type"] = "text", ["required"] = true, ["max_length"] = 20 },
            new JsonObject { ["id"] = "start", ["label"] = "Start", ["type"] = "date" },
            new JsonObject { ["id"] = "contract", ["label"] = "Contract", ["type"] = "photo" },
        ]);

        foreach (var refused in new JsonArray[]
        {
            [new JsonObject { ["id"] = "start", ["value"] = "not a date" }],
            [new JsonObject { ["id"] = "signed_by", ["value"] = new string('x', 21) }],
            [new JsonObject { ["id"] = "contract", ["value"] = new JsonArray(new JsonObject { ["id"] = "424242" }) }], // No such file: no kick-off task holds any yet.
        })
        {
            var (status, body) = await SendAsync(user, HttpMethod.Put, checklist, new JsonObject { ["prerun"] = refused });
            Assert.True(status == HttpStatusCode.UnprocessableEntity, body.ToJsonString());
        }

        Assert.Empty((await user.CallAsync("task/list")).AssertOk().Body["list"]!.AsArray());

        // The seed's step 2 changes one field; the required one stays empty (a partial save, as Tallyfy's).
        var (uploaded, upload) = await KickoffUploadAsync(service.Client, user, Uploads.JpegLike(1200), "c.jpg", checklist);
        Assert.Equal(HttpStatusCode.OK, uploaded);
        var (saved, answer) = await SendAsync(user, HttpMethod.Put, checklist, new JsonObject { ["prerun"] = new JsonArray(new JsonObject { ["id"] = "contract", ["value"] = new JsonArray(upload["data"]![0]!.DeepClone()) }) });
        Assert.True(saved == HttpStatusCode.OK, answer.ToJsonString());
        Assert.Null(answer["data"]!["prerun"]![0]!["value"]);
        Assert.Single(answer["data"]!["prerun"]![2]!["value"]!.AsArray());
    }

    private static JsonObject Notes(string text) => new() { ["prerun"] = new JsonArray(new JsonObject { ["id"] = "notes", ["value"] = text }) };

    private async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(TestUser user, HttpMethod method, long checklist, JsonObject? body)
    {
        using var request = Authorized(method, $"/api/organizations/{user.Id}/checklists/{checklist}", user.Hash);
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await service.Client.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }
}
