using System.Text.Json.Nodes;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Hardening;

/// <summary>
/// A user's parallel creates change one count row: on one instance they take turns at it instead of colliding on
/// its ETag, so each costs what a create alone costs, and none runs out of attempts (a 14) however many come at once.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class HotRowTests(ServiceFixture service)
{
    private const int Parallel = 48;

    [Fact]
    public async Task Parallel_template_creates_of_one_user_cost_what_one_alone_costs()
    {
        var counter = new CallStorageRequests();
        await using var host = new FormFilesFactory(new Dictionary<string, string?>(service.NewStorage().Settings)
        {
            ["FormFiles:RateLimit:PermitsPerSecond"] = "100000",
            ["FormFiles:RateLimit:Burst"] = "100000",
        }, counter.AddTo);
        var user = await host.CreateClient().NewUserAsync();
        JsonObject Create(int i) => new() { ["template"] = new JsonObject { ["label"] = $"t{i}", ["fields"] = new JsonArray(new JsonObject { ["id"] = "n", ["label"] = "N", ["type"] = "text" }) } };
        (await user.CallAsync("form/template/create", Create(-1))).AssertOk(); // The count row is made.

        var before = counter.Count;
        (await user.CallAsync("form/template/create", Create(0))).AssertOk();
        var alone = counter.Count - before;

        before = counter.Count;
        var answers = await Task.WhenAll(Enumerable.Range(1, Parallel).Select(i => user.CallAsync("form/template/create", Create(i))));
        Assert.All(answers, a => a.AssertOk());

        // Beside one create's own, the id blocks that the burst takes (a read and a write each), and a key's read again
        // should its cache (4 s) run out meanwhile. Colliding on the count row, the burst cost 522.
        var blocks = (Parallel / FormFiles.Storage.IdAllocator.BlockSize) + 1;
        Assert.InRange(counter.Count - before, Parallel, (Parallel * (alone + 1)) + (2 * blocks));
    }
}
