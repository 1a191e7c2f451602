using System.Globalization;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FormFiles.Files;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Hardening;

/// <summary>One row that makes its settlement throw is logged and backed off; it stops no pass, no other item and no host. Each test on storage of its own.</summary>
[Collection(ServiceFixture.Collection)]
public sealed class BackgroundResilienceTests(ServiceFixture service)
{
    private readonly TestStorage storage = service.NewStorage();

    private const int ItemFailed = 2310;

    private static JsonArray Fields() => [new JsonObject { ["id"] = "photo", ["label"] = "Photo", ["type"] = "photo" }];

    private TableClient Tasks => storage.Table("tasks");

    private BlobContainerClient Container => storage.Container;

    private static string Partition(long taskId) => taskId.ToString("D19", CultureInfo.InvariantCulture);

    private static async Task<(TestUser User, long TaskId)> TaskAsync(HttpClient client)
    {
        var user = await client.NewUserAsync();
        return (user, await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields())));
    }

    /// <summary>A reservation whose stored metadata is not JSON, with a JPEG (EXIF orientation) uploaded: completion throws merging the two.</summary>
    private async Task<Uploads.Reservation> PoisonedUploadAsync(TestUser user, long taskId)
    {
        var jpeg = Uploads.Asset("orientation-6.jpg");
        var reservation = await user.ReserveAsync(taskId, "photo", jpeg.Length, "door.jpg");
        await Tasks.UpdateEntityAsync(new TableEntity(Partition(taskId), FileEntity.Row(reservation.FileId)) { ["Metadata"] = "{not json" }, ETag.All);
        await Container.GetBlobClient(FileBlobs.Name(user.Id, taskId, reservation.FileId)).UploadAsync(new BinaryData(jpeg));
        return reservation;
    }

    private static int FailuresLogged(FormFilesFactory host, long fileId) =>
        host.Services.GetFakeLogCollector().GetSnapshot().Count(r => r.Id.Id == ItemFailed && r.Message.Contains($"file {fileId} ", StringComparison.Ordinal));

    [Fact]
    public async Task A_completion_that_throws_for_one_file_is_backed_off_and_reconciliation_completes_the_rest()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = FormFilesFactory.OnClock(storage, clock);
        var (user, taskId) = await TaskAsync(host.CreateClient());
        var poisoned = await PoisonedUploadAsync(user, taskId);
        var good = await user.ReserveAsync(taskId, "photo", 100);
        await Container.GetBlobClient(FileBlobs.Name(user.Id, taskId, good.FileId)).UploadAsync(new BinaryData(Uploads.JpegLike(100)));
        var reconciliation = host.Services.GetRequiredService<Reconciliation>();

        await reconciliation.RunAsync(CancellationToken.None);
        await reconciliation.RunAsync(CancellationToken.None); // Within the back-off: the poisoned file is left alone.

        Assert.Equal("uploaded", (await good.ReadFileAsync())["state"]!.GetValue<string>());
        Assert.Equal(1, FailuresLogged(host, poisoned.FileId));
        clock.Advance(TimeSpan.FromSeconds(6));
        await reconciliation.RunAsync(CancellationToken.None);
        Assert.Equal(2, FailuresLogged(host, poisoned.FileId));
    }

    [Fact]
    public async Task The_devhost_loops_keep_running_after_a_pass_hits_a_row_that_throws()
    {
        await using var host = new FormFilesFactory(new Dictionary<string, string?>
        {
            ["FormFiles:Storage:ConnectionString"] = storage.ConnectionString,
            ["FormFiles:AdminKey"] = Scenario.AdminKey,
            ["FormFiles:ReconcileInterval"] = "00:00:00.100",
            ["FormFiles:SweepInterval"] = "00:00:01",
        });
        var (user, taskId) = await TaskAsync(host.CreateClient());
        var poisoned = await PoisonedUploadAsync(user, taskId);

        Assert.True(await Uploads.EventuallyAsync(() => Task.FromResult(FailuresLogged(host, poisoned.FileId) > 0)));
        await Task.Delay(300); // A few more ticks.

        var loops = host.Services.GetServices<IHostedService>().OfType<BackgroundService>().Where(s => s.GetType().Name.EndsWith("Loop", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, loops.Count);
        Assert.All(loops, loop => Assert.False(loop.ExecuteTask!.IsCompleted, "a maintenance loop ended"));
        (await user.CallAsync("file/stats/read")).AssertOk(); // And the host still serves.
    }

    [Fact]
    public async Task A_sweep_item_that_throws_is_counted_as_failed_and_every_other_due_item_is_settled()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        await using var host = FormFilesFactory.OnClock(storage, clock);
        var (user, poisonedTask) = await TaskAsync(host.CreateClient());
        var healthyTask = await user.CreateTaskAsync(await user.CreateTemplateAsync(Fields()));
        await user.ReserveAsync(poisonedTask, "photo", 10);
        for (var i = 0; i < 5; i++)
            await user.ReserveAsync(healthyTask, "photo", 10);
        // The task row's per-field counters stop parsing: giving back the expired reservation's slot throws.
        await Tasks.UpdateEntityAsync(new TableEntity(Partition(poisonedTask), "task") { ["FieldFiles"] = "[broken" }, ETag.All);

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(2));
        var counts = (await host.Services.GetRequiredService<Sweeper>().RunAsync(CancellationToken.None)).Counts;

        Assert.Equal(1, counts[Sweeper.Outcome.Failed]);
        Assert.Equal(5, counts[Sweeper.Outcome.Expired]);
        Assert.Equal(10, (await user.CallAsync("file/stats/read")).AssertOk().Body["value"]!["total_size"]!.GetValue<long>());
    }

    [Fact]
    public async Task Maintenance_runs_both_passes_and_survives_storage_refusing_everything()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var outage = new StorageOutage();
        await using var host = FormFilesFactory.OnClock(storage, clock, outage);
        host.StartServer();
        outage.Begin();

        await host.Services.GetRequiredService<Maintenance>().RunAsync(CancellationToken.None);

        var stopped = host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == 2300).Select(r => r.Message).ToList();
        Assert.Contains(stopped, m => m.Contains("reconciliation", StringComparison.Ordinal));
        Assert.Contains(stopped, m => m.Contains("sweep", StringComparison.Ordinal));
    }
}
