using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FormFiles.Tests.Infrastructure;
using FormFiles.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Webhooks;

/// <summary>
/// The retention purge keeps up with a backlog: it deletes in transactions (50 deliveries with their e- rows, or 100 rows),
/// and a pass that leaves expired rows behind lets the next go on at once rather than an hour later.
/// </summary>
[Collection(ServiceFixture.Collection)]
public sealed class DeliveryPurgeTests(ServiceFixture service)
{
    private const int Budget = 150;

    [Fact]
    public async Task A_backlog_goes_in_passes_one_after_another_in_transactions()
    {
        var storage = service.NewStorage();
        var counter = new Counter();
        var options = new TableClientOptions();
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var tables = new FormFiles.Storage.Tables(new TableServiceClient(storage.ConnectionString, options));
        await tables.Deliveries.CreateIfNotExistsAsync();
        await tables.DeliveryExpiry.CreateIfNotExistsAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var retention = new DeliveryRetention(tables, Options.Create(new FormFilesOptions()), clock, NullLogger<DeliveryRetention>.Instance) { Budget = Budget };

        // 400 old deliveries of one endpoint, 30 of another whose rows went already, 250 of a deleted endpoint, 5 recent.
        var old = clock.GetUtcNow().AddDays(-40);
        await SeedAsync(retention, tables, 1, 400, old);
        await SeedAsync(retention, tables, 2, 30, old, rowsGone: true);
        await SeedAsync(retention, tables, 3, 250, old);
        await retention.EndpointDeletedAsync(3, CancellationToken.None);
        await SeedAsync(retention, tables, 1, 5, clock.GetUtcNow(), first: 1000);

        counter.Count = 0;
        // On one clock reading: each pass after the first goes only because the one before left a backlog.
        var passes = new List<int>();
        for (var pass = 0; pass < 10; pass++)
            passes.Add(await retention.PurgeAsync(CancellationToken.None));

        // Each pass reads at most the budget of expiry rows (686 in all), then the gate stays shut for the hour.
        Assert.Equal(1300, passes.Sum()); // 650 deliveries and their e- rows.
        Assert.InRange(passes.Count(p => p > 0), 4, 6);
        Assert.All(passes.SkipWhile(p => p > 0), p => Assert.Equal(0, p));
        var left = await tables.Deliveries.QueryAsync<TableEntity>().ToListAsync();
        Assert.Equal(10, left.Count);
        Assert.All(left, r => Assert.Equal(FormFiles.Storage.Tables.Key(1), r.PartitionKey));
        Assert.Equal(5, await tables.DeliveryExpiry.QueryAsync<TableEntity>().CountAsync());

        // One at a time this would be 3 requests per delivery (2,300 in all): in transactions far fewer, the 30 gone ones aside (2 each).
        Assert.True(counter.Count <= 120, $"{counter.Count} storage requests in {passes.Count} passes");
    }

    private static async Task SeedAsync(DeliveryRetention retention, FormFiles.Storage.Tables tables, long webhookId, int count, DateTimeOffset at, bool rowsGone = false, int first = 0)
    {
        var partition = FormFiles.Storage.Tables.Key(webhookId);
        var rows = Enumerable.Range(first, count).Select(n => $"{long.MaxValue - at.AddSeconds(-n).UtcTicks:D19}-evt_{webhookId:D4}{n:D28}").ToList();
        foreach (var row in rows)
            await retention.RecordAsync(webhookId, row, at, CancellationToken.None);
        if (rowsGone)
            return;
        foreach (var batch in rows.Chunk(50))
        {
            await tables.Deliveries.SubmitTransactionAsync(batch.SelectMany(r => new[]
            {
                new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, r) { ["Status"] = "delivered" }),
                new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, DeliveryRetention.EventRow(r)) { ["Delivery"] = r }),
            }));
        }
    }

    private sealed class Counter : HttpPipelineSynchronousPolicy
    {
        private int count;

        public int Count { get => count; set => count = value; }

        public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref count);
    }
}
