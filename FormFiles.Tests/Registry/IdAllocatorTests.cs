using Azure.Data.Tables;
using FormFiles.Storage;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests.Registry;

[Collection(ServiceFixture.Collection)]
public sealed class IdAllocatorTests(ServiceFixture service)
{
    [Fact]
    public async Task Thousand_ids_from_eight_parallel_allocators_are_distinct_and_cost_one_write_per_block()
    {
        var sequence = "test-" + Guid.NewGuid().ToString("N");
        var tables = new Tables(new TableServiceClient(service.Azurite.ConnectionString));
        var allocators = Enumerable.Range(0, 8).Select(_ => new IdAllocator(tables)).ToList();

        var ids = await Task.WhenAll(allocators.SelectMany(allocator => Enumerable.Range(0, 125).Select(async _ =>
        {
            await Task.Yield();
            return await allocator.NextAsync(sequence, CancellationToken.None);
        })));

        Assert.Equal(1000, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(id > 0));
        var counter = await tables.Counters.GetEntityAsync<TableEntity>(sequence, "next");
        var blocks = (counter.Value.GetInt64("Next")!.Value - 1) / IdAllocator.BlockSize;
        Assert.InRange(blocks, 20, 8 * 3);
    }

    [Fact]
    public async Task Ids_from_one_allocator_increase()
    {
        var sequence = "test-" + Guid.NewGuid().ToString("N");
        var allocator = new IdAllocator(new Tables(new TableServiceClient(service.Azurite.ConnectionString)));

        var ids = new List<long>();
        for (var i = 0; i < 120; i++)
            ids.Add(await allocator.NextAsync(sequence, CancellationToken.None));

        Assert.Equal(ids.Order(), ids);
        Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), ids);
    }
}
