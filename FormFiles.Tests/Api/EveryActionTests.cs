using System.Net;
using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Api;

/// <summary>What every keyed action shares: 3 without a key, 4 with an unknown one, 11 without the right, 7 without its ids.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class EveryActionTests(ServiceFixture service)
{
    private static readonly string[] Reads = ["form/template/read", "form/template/list", "task/read", "task/list", "task/form/read", "task/form/file/read", "file/stats/read", "usage/read", "task/file/list"];

    private static readonly string[] Writes =
    [
        "form/template/create", "form/template/delete", "task/create", "task/delete", "task/status/change", "task/form/create",
        "task/form/delete", "task/form/submit", "task/form/values/update", "task/form/file/create", "task/form/file/delete",
        "task/file/create", "task/file/attach", "task/file/detach", "task/form/values/merge",
    ];

    public static TheoryData<string> KeyedActions => new(Reads.Concat(Writes));

    public static TheoryData<string> ActionsWithRequiredParameters => new(Reads.Concat(Writes).Except(["form/template/list", "task/list", "file/stats/read"]));

    [Theory]
    [MemberData(nameof(KeyedActions))]
    public async Task Without_a_key_gives_3_and_with_an_unknown_key_4(string action)
    {
        (await service.Client.CallAsync(action, [])).AssertError(3, HttpStatusCode.BadRequest);
        (await service.Client.CallAsync(action, new JsonObject { ["hash"] = "00000000000000000000000000000000" })).AssertError(4, HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(KeyedActions))]
    public async Task A_view_only_key_reads_and_gets_11_for_writes(string action)
    {
        var user = await service.Client.NewUserAsync();
        var viewer = user with { Hash = await service.Client.NewKeyAsync(user.Id, "task_view") };

        var response = await viewer.CallAsync(action, []);

        if (Writes.Contains(action))
            response.AssertError(11, HttpStatusCode.Forbidden);
        else
            Assert.True(response.Success || response.Code == 7, response.Raw);
    }

    [Theory]
    [MemberData(nameof(ActionsWithRequiredParameters))]
    public async Task Missing_parameters_give_7_naming_one(string action)
    {
        var user = await service.Client.NewUserAsync();

        var response = (await user.CallAsync(action, [])).AssertError(7, HttpStatusCode.BadRequest);

        Assert.Matches("^Invalid parameters: '[a-z_.]+' is required$", response.Description);
    }
}
