using System.Globalization;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Clients;

/// <summary>
/// Navixy's dates: yyyy-MM-dd HH:mm:ss in the user's time zone, ISO 8601 with its offset when the call
/// says so (iso_datetime in the body or query, or the NVX-ISO-DateTime header), and either form accepted.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class NavixyDateTests(ServiceFixture service)
{
    private const string IsoWithOffset = "yyyy-MM-dd'T'HH:mm:sszzz";

    private async Task<TestUser> UserInAsync(string? zone)
    {
        var user = await service.Client.NewUserAsync();
        if (zone is not null)
            (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["time_zone"] = zone })).AssertOk();
        return user;
    }

    private async Task<long> TaskAsync(TestUser user, string from, string to, IReadOnlyDictionary<string, string>? headers = null)
    {
        var created = (await service.Client.CallAsync("task/create", new JsonObject
        {
            ["hash"] = user.Hash,
            ["task"] = new JsonObject { ["label"] = "Deliver", ["from"] = from, ["to"] = to },
        }, headers: headers)).AssertOk();
        return created.Body["id"]!.GetValue<long>();
    }

    private async Task<JsonNode> ReadAsync(TestUser user, long task, RequestForm form = RequestForm.Json, bool isoParameter = false, IReadOnlyDictionary<string, string>? headers = null)
    {
        var parameters = new JsonObject { ["hash"] = user.Hash, ["task_id"] = task };
        if (isoParameter)
            parameters["iso_datetime"] = true;
        return (await service.Client.CallAsync("task/read", parameters, form, headers)).AssertOk().Body["value"]!;
    }

    private static string Text(JsonNode value, string name) => value[name]!.GetValue<string>();

    [Fact]
    public async Task Dates_are_shown_and_read_in_the_user_s_time_zone()
    {
        var user = await UserInAsync("Asia/Yekaterinburg"); // UTC+5 all year.
        var task = await TaskAsync(user, "2026-12-07 10:00:00", "2026-12-07T12:00:00Z");

        var plain = await ReadAsync(user, task);
        Assert.Equal("2026-12-07 10:00:00", Text(plain, "from"));
        Assert.Equal("2026-12-07 17:00:00", Text(plain, "to"));

        var iso = await ReadAsync(user, task, isoParameter: true);
        Assert.Equal("2026-12-07T10:00:00+05:00", Text(iso, "from"));
        Assert.Equal("2026-12-07T17:00:00+05:00", Text(iso, "to"));

        // Every date of the answer agrees between the two forms, the creation date too.
        var created = DateTimeOffset.ParseExact(Text(iso, "creation_date"), IsoWithOffset, CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromHours(5), created.Offset);
        Assert.Equal(created.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Text(plain, "creation_date"));
    }

    [Theory]
    [MemberData(nameof(RequestForms.All), MemberType = typeof(RequestForms))]
    public async Task Iso_8601_comes_on_the_parameter_in_every_form_and_on_Navixy_s_header(RequestForm form)
    {
        var user = await UserInAsync("Asia/Yekaterinburg");
        var task = await TaskAsync(user, "2026-12-07 10:00:00", "2026-12-07 11:00:00");

        Assert.Equal("2026-12-07T10:00:00+05:00", Text(await ReadAsync(user, task, form, isoParameter: true), "from"));
        Assert.Equal("2026-12-07T10:00:00+05:00", Text(await ReadAsync(user, task, form, headers: new Dictionary<string, string> { ["NVX-ISO-DateTime"] = "true" }), "from"));
        Assert.Equal("2026-12-07 10:00:00", Text(await ReadAsync(user, task, form, headers: new Dictionary<string, string> { ["NVX-ISO-DateTime"] = "false" }), "from"));
    }

    [Theory]
    [InlineData("2026-12-07T10:00:00+05:00")]
    [InlineData("2026-12-07T10:00:00+0500")]
    [InlineData("2026-12-07T10:00:00+05")]
    [InlineData("2026-12-07T05:00:00.000Z")]
    public async Task Every_ISO_8601_offset_Navixy_documents_is_read(string from)
    {
        var user = await UserInAsync(null);
        var task = await TaskAsync(user, from, "2026-12-07 11:00:00");
        Assert.Equal("2026-12-07 05:00:00", Text(await ReadAsync(user, task), "from"));
    }

    [Fact]
    public async Task A_token_upload_answers_in_the_file_owner_s_zone_and_reads_iso_datetime_from_its_form()
    {
        var user = await UserInAsync("Asia/Yekaterinburg");
        var task = await user.CreateTaskAsync(await user.CreateTemplateAsync([new JsonObject { ["id"] = "doc", ["label"] = "Doc", ["type"] = "file" }]));

        // Navixy's upload names no key: the zone is the file owner's, the switch a form field or the header.
        var plain = await UploadAsync(await user.ReserveAsync(task, "doc", 100), iso: null);
        var read = (await user.CallAsync("task/form/file/read", new JsonObject { ["file_id"] = plain["id"]!.GetValue<long>() })).AssertOk().Body["value"]!;
        Assert.Equal(Text(read, "uploaded"), Text(plain, "uploaded"));
        Assert.Equal(Text(read, "created"), Text(plain, "created"));

        foreach (var iso in new[] { "field", "header" })
        {
            var answer = await UploadAsync(await user.ReserveAsync(task, "doc", 100), iso);
            var uploaded = DateTimeOffset.ParseExact(Text(answer, "uploaded"), IsoWithOffset, CultureInfo.InvariantCulture);
            Assert.Equal(TimeSpan.FromHours(5), uploaded.Offset);
        }
    }

    private async Task<JsonNode> UploadAsync(Uploads.Reservation reservation, string? iso)
    {
        using var form = new MultipartFormDataContent { { new StringContent(reservation.Token), "token" } };
        if (iso == "field")
            form.Add(new StringContent("true"), "iso_datetime");
        form.Add(new ByteArrayContent(new byte[40]), "file", "notes.txt");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/task/form/file/upload") { Content = form };
        if (iso == "header")
            request.Headers.Add("NVX-ISO-DateTime", "true");
        return (await Envelope.ReadAsync(await service.Client.SendAsync(request))).AssertOk().Body["value"]!;
    }

    [Fact]
    public async Task A_user_without_a_time_zone_is_UTC_and_ISO_ends_in_Z()
    {
        var user = await UserInAsync(null);
        var task = await TaskAsync(user, "2026-12-07T10:00:00+05:00", "2026-12-07 11:00:00");

        Assert.Equal("2026-12-07 05:00:00", Text(await ReadAsync(user, task), "from"));
        Assert.Equal("2026-12-07T05:00:00Z", Text(await ReadAsync(user, task, isoParameter: true), "from"));
    }

    [Fact]
    public async Task Summer_and_winter_dates_take_the_zone_s_own_offset()
    {
        var user = await UserInAsync("Europe/Berlin");
        var summer = await TaskAsync(user, "2026-07-01 12:00:00", "2026-07-01 13:00:00");
        var winter = await TaskAsync(user, "2026-01-15 12:00:00", "2026-01-15 13:00:00");

        Assert.Equal("2026-07-01T12:00:00+02:00", Text(await ReadAsync(user, summer, isoParameter: true), "from"));
        Assert.Equal("2026-01-15T12:00:00+01:00", Text(await ReadAsync(user, winter, isoParameter: true), "from"));

        // A wall time the clocks skip (02:30 on the last Sunday of March) still reads as a moment, at standard time.
        var skipped = await TaskAsync(user, "2026-03-29 02:30:00", "2026-03-29 04:00:00");
        Assert.Equal("2026-03-29T03:30:00+02:00", Text(await ReadAsync(user, skipped, isoParameter: true), "from"));
    }

    [Fact]
    public async Task A_change_of_time_zone_applies_to_the_next_call()
    {
        var user = await UserInAsync(null);
        var task = await TaskAsync(user, "2026-12-07 10:00:00", "2026-12-07 11:00:00");
        Assert.Equal("2026-12-07 10:00:00", Text(await ReadAsync(user, task), "from"));

        var updated = (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["time_zone"] = "America/New_York" })).AssertOk();
        Assert.Equal("America/New_York", Text(updated.Body["value"]!, "time_zone"));
        Assert.Equal("2026-12-07 05:00:00", Text(await ReadAsync(user, task), "from"));

        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["time_zone"] = null })).AssertOk();
        Assert.Equal("2026-12-07 10:00:00", Text(await ReadAsync(user, task), "from"));
        Assert.Equal("UTC", Text((await service.Client.AdminAsync("admin/user/read", new JsonObject { ["user_id"] = user.Id })).AssertOk().Body["value"]!, "time_zone"));
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("../../../etc/passwd")]
    [InlineData("")]
    [InlineData("Europe/Berlin\u0000")]
    [InlineData("+05:00")]
    [InlineData("localtime")]
    [InlineData("posixrules")]
    [InlineData("right/Europe/Berlin")]
    public async Task An_unknown_time_zone_is_refused_and_changes_nothing(string zone)
    {
        var user = await UserInAsync("Asia/Yekaterinburg");
        (await service.Client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["time_zone"] = zone })).AssertError(7, System.Net.HttpStatusCode.BadRequest);
        (await service.Client.AdminAsync("admin/user/create", new JsonObject { ["label"] = "Zoned", ["time_zone"] = zone })).AssertError(7, System.Net.HttpStatusCode.BadRequest);
        Assert.Equal("Asia/Yekaterinburg", Text((await service.Client.AdminAsync("admin/user/read", new JsonObject { ["user_id"] = user.Id })).AssertOk().Body["value"]!, "time_zone"));
    }

    [Theory]
    [InlineData("2026-12-07T10:00:00")] // ISO without an offset means no definite moment.
    [InlineData("2026-12-07 10:00")]
    [InlineData("2026-13-07 10:00:00")]
    [InlineData("2026-12-07T10:00:00+5")]
    [InlineData("0001-01-01 00:00:00")] // Before UTC's year 1 at +05:00: out of range, not a 500.
    [InlineData("9999-12-31 23:59:59")]
    [InlineData("1600-01-01T00:00:00Z")] // Before what Table Storage keeps.
    public async Task A_date_in_neither_form_is_refused(string date)
    {
        var user = await UserInAsync("Asia/Yekaterinburg");
        (await service.Client.CallAsync("task/create", new JsonObject
        {
            ["hash"] = user.Hash,
            ["task"] = new JsonObject { ["label"] = "Deliver", ["from"] = date },
        })).AssertError(7, System.Net.HttpStatusCode.BadRequest);
    }
}
