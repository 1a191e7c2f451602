using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.Azure;

namespace FormFiles.Tests.Hardening;

/// <summary>
/// A filter on statuses or a window matches few of the rows that storage scans, and on Azure a storage page holds at most
/// 1,000 scanned rows however few match: such a filter never goes to storage over an open range, only between keys that a
/// bounded scan found. Here storage answers the list's queries one row a page, so that each call's scan stops after a few
/// rows (as after 10,000 on Azure), and <c>next</c> must go on from where it stopped.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed partial class SparseFilterTests(ServiceFixture service)
{
    [Fact]
    public async Task A_filtered_list_scans_a_bounded_range_and_next_goes_on_where_the_scan_stopped()
    {
        var counter = new CallStorageRequests();
        var storage = new OneRowPages();
        await using var host = new FormFilesFactory(new Dictionary<string, string?>(service.NewStorage().Settings), services =>
        {
            counter.AddTo(services);
            services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(storage, HttpPipelinePosition.PerCall)));
        });
        var client = host.CreateClient();
        var user = await client.NewUserAsync();
        (await client.AdminAsync("admin/user/update", new JsonObject { ["user_id"] = user.Id, ["rate_limit_per_second"] = 100_000, ["rate_limit_burst"] = 100_000 })).AssertOk();
        var assigned = new List<long>();
        for (var i = 0; i < 60; i++)
        {
            var task = await user.CreateTaskAsync(externalId: "fleet");
            if (i % 3 == 0)
            {
                (await user.CallAsync("task/status/change", new JsonObject { ["task_id"] = task, ["status"] = "assigned" })).AssertOk();
                assigned.Add(task);
            }
        }

        storage.Enabled = true;
        foreach (var parameters in new[]
        {
            new JsonObject { ["statuses"] = new JsonArray("assigned") },
            new JsonObject { ["statuses"] = new JsonArray("assigned"), ["external_id"] = "fleet" },
            new JsonObject { ["statuses"] = new JsonArray("assigned"), ["from"] = "2000-01-01 00:00:00", ["to"] = "2100-01-01 00:00:00" },
        })
        {
            var (listed, calls) = await PageThroughAsync(user, parameters);
            Assert.Equal(assigned, listed);
            Assert.True(calls >= 3, $"{calls} calls for {parameters.ToJsonString()}: each scan should stop after {FormFiles.Tasks.TaskList.MaxScanned / 1000} storage pages");
        }

        // A window's count and an offset under a filter scan alike; no query filters on a column over an open range.
        (await user.CallAsync("task/list", new JsonObject { ["statuses"] = new JsonArray("assigned"), ["offset"] = 5, ["from"] = "2000-01-01 00:00:00" })).AssertOk();
        Assert.NotEmpty(storage.Filters);
        Assert.All(storage.Filters.Where(f => f.Contains("Status", StringComparison.Ordinal) || f.Contains("ListFrom", StringComparison.Ordinal) || f.Contains("ListTo", StringComparison.Ordinal)),
            f => Assert.Matches(@"RowKey ge '[^']+' and RowKey le '[^']+'", f));
        storage.Enabled = false;

        async Task<(List<long> Listed, int Calls)> PageThroughAsync(TestUser user, JsonObject parameters)
        {
            var listed = new List<long>();
            JsonNode? next = null;
            var calls = 0;
            do
            {
                var body = parameters.DeepClone().AsObject();
                (body["hash"], body["limit"], body["next"]) = (user.Hash, 20, next?.DeepClone());
                using var response = await client.PostAsync("/v2/task/list", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
                var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                Assert.True(page["success"]!.GetValue<bool>(), page.ToJsonString());
                Assert.True(CallStorageRequests.Of(response) <= (2 * FormFiles.Tasks.TaskList.MaxScanned / 1000) + 4, $"{CallStorageRequests.Of(response)} storage requests for one page");
                listed.AddRange(page["list"]!.AsArray().Select(t => t!["id"]!.GetValue<long>()));
                next = page["next"];
                Assert.InRange(++calls, 1, 30);
            }
            while (next is not null);
            return (listed, calls);
        }
    }

    /// <summary>Asks storage for one row a page on the task lists' queries (<c>$top=1</c>), and keeps their filters.</summary>
    private sealed partial class OneRowPages : HttpPipelineSynchronousPolicy
    {
        public bool Enabled { get; set; }

        public ConcurrentQueue<string> Filters { get; } = new();

        public override void OnSendingRequest(HttpMessage message)
        {
            if (!Enabled || !message.Request.Uri.Path.Contains("usertasks()", StringComparison.Ordinal))
                return;
            message.Request.Uri.Query = Top().Replace(message.Request.Uri.Query, "${name}=1");
            if (Filter().Match(message.Request.Uri.Query) is { Success: true } filter)
                Filters.Enqueue(Uri.UnescapeDataString(filter.Groups["filter"].Value.Replace('+', ' ')));
        }

        [GeneratedRegex(@"(?<name>(\$|%24)top)=\d+")]
        private static partial Regex Top();

        [GeneratedRegex(@"(\$|%24)filter=(?<filter>[^&]*)")]
        private static partial Regex Filter();
    }
}
