using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Storage.Blobs;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Tests.Hardening;

/// <summary>
/// Tallyfy uploads that send the file before their fields (seed 004's order), in parallel, while storage loses one
/// response in eight after the request ran (the SDK retries): each answer is an upload or a clean 14, the quota holds
/// exactly the accepted files, and nothing staged stays, committed or not.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class StagedUploadFaultTests(ServiceFixture service)
{
    private const int Uploads = 24;

    [Fact]
    public async Task File_first_uploads_under_lost_responses_answer_cleanly_keep_the_quota_exact_and_leave_nothing_staged()
    {
        var storage = service.NewStorage();
        var lost = new LostResponses(0.125, seed: 25);
        await using var host = Host(storage, lost);
        var client = host.CreateClient();
        var user = await client.NewUserAsync();
        var template = await user.CreateTemplateAsync([new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo", ["max_files"] = 6 }]);
        var runs = new List<long>();
        for (var i = 0; i < Uploads / 3; i++) // Three a run: a field's limit of six leaves room for what a failed undo keeps.
            runs.Add(await user.CreateTaskAsync(template));

        lost.Enabled = true;
        var answers = await Task.WhenAll(Enumerable.Range(0, Uploads).Select(i => TallyfySeed.UploadAsync(client, user, FormFiles.Tests.Infrastructure.Uploads.JpegLike(3000 + (i * 1000)), "p.jpg", "photo", runs[i % runs.Count].ToString(CultureInfo.InvariantCulture), template)));
        lost.Enabled = false;

        Assert.True(lost.Lost > 5, $"only {lost.Lost} responses were lost");
        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK || (a.Status == HttpStatusCode.ServiceUnavailable && a.Body["code"]!.GetValue<int>() == 14), $"{a.Status}: {a.Body.ToJsonString()}"));
        var accepted = answers.Where(a => a.Status == HttpStatusCode.OK).Select(a => a.Body["data"]![0]!).ToList();
        Assert.NotEmpty(accepted);

        var stats = (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!;
        var files = new List<JsonNode>();
        foreach (var run in runs)
            files.AddRange((await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = run, ["precise_states"] = true })).AssertOk().Body["files"]!.AsArray().Select(f => f!));
        Assert.Equal(accepted.Select(a => a["id"]!.GetValue<string>()).Order(), files.Where(f => f["state"]!.GetValue<string>() == "uploaded").Select(f => f["id"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture)).Order());
        Assert.Equal(accepted.Sum(a => a["size"]!.GetValue<long>()), stats["total_size"]!.GetValue<long>());
        var staging = new BlobServiceClient(storage.ConnectionString).GetBlobContainerClient(FormFiles.Files.FileBlobs.AcceptedContainerName);
        Assert.Empty(await staging.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.Uncommitted, FormFiles.Files.FileBlobs.StagingPrefix, CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task First_kickoff_uploads_under_lost_responses_answer_cleanly_and_name_one_kickoff_task()
    {
        var lost = new LostResponses(0.125, seed: 251);
        await using var host = Host(service.NewStorage(), lost);
        var client = host.CreateClient();
        var user = await client.NewUserAsync();
        var checklists = new List<long>();
        for (var i = 0; i < 4; i++)
            checklists.Add(await user.CreateTemplateAsync([new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo", ["max_files"] = 6 }]));

        lost.Enabled = true;
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => TallyfySeed.KickoffUploadAsync(client, user, FormFiles.Tests.Infrastructure.Uploads.JpegLike(3000 + i), "p.jpg", checklists[i % checklists.Count])));
        lost.Enabled = false;

        Assert.True(lost.Lost > 3, $"only {lost.Lost} responses were lost");
        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK || (a.Status == HttpStatusCode.ServiceUnavailable && a.Body["code"]!.GetValue<int>() == 14), $"{a.Status}: {a.Body.ToJsonString()}"));
        foreach (var checklist in checklists)
        {
            // Every accepted file of a checklist is on the one task its template names; a racer's own task went or holds nothing.
            var named = (await KickoffOf(client, user, checklist))!.Value;
            var accepted = answers.Where(a => a.Status == HttpStatusCode.OK && a.Body["data"]![0]!["subject"]!["id"]!.GetValue<string>() == checklist.ToString(CultureInfo.InvariantCulture));
            var files = (await user.CallAsync("task/form/read", new JsonObject { ["task_id"] = named })).AssertOk().Body["files"]!.AsArray();
            Assert.Equal(accepted.Select(a => a.Body["data"]![0]!["id"]!.GetValue<string>()).Order(), files.Where(f => f!["state"]!.GetValue<string>() == "uploaded").Select(f => f!["id"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture)).Order());
        }
    }

    private static async Task<long?> KickoffOf(HttpClient client, TestUser user, long checklist)
    {
        using var request = TallyfySeed.Authorized(HttpMethod.Get, $"/organizations/{user.Id}/checklists/{checklist}", user.Hash);
        using var response = await client.SendAsync(request);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!["kickoff_task_id"]?.GetValue<long>();
    }

    private static FormFilesFactory Host(TestStorage storage, LostResponses lost)
    {
        var settings = new Dictionary<string, string?>(storage.Settings) { ["FormFiles:SweepInterval"] = "1.00:00:00" };
        var host = new FormFilesFactory(settings, services => services.AddAzureClients(clients => clients.ConfigureDefaults(options =>
        {
            options.Retry.Delay = TimeSpan.FromMilliseconds(50);
            options.Retry.MaxDelay = TimeSpan.FromMilliseconds(500);
            options.AddPolicy(lost, HttpPipelinePosition.PerRetry);
        })));
        host.StartServer();
        return host;
    }
}
