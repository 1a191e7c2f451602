using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using FormFiles.DevHost.Azurite;

namespace FormFiles.Bench;

/// <summary>
/// Uploads (issue 5): 16 MiB through the multipart endpoint against the floor, the same bytes PUT
/// straight to Azurite with the SAS; the memory one 16 MiB multipart upload adds to the process;
/// and the time from a SAS PUT to <c>uploaded</c> through the DevHost's reconciliation loop.
/// </summary>
public static class UploadBenchmark
{
    private const int Size = 16 * 1024 * 1024;

    public static async Task RunAsync(int rounds)
    {
        var root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        await using var azurite = await AzuriteProcess.StartAsync(root, persistFolder: null, Console.Out);
        await using var devHost = new BenchHost.DevHost(azurite.ConnectionString, new StorageRequestCounter());
        devHost.StartServer();
        // A plain client: the factory's own client buffers request bodies (to replay them on redirects).
        using var client = new HttpClient { BaseAddress = devHost.CreateClient().BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        using var direct = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        var fields = new JsonArray(new JsonObject { ["id"] = "doc", ["label"] = "Document", ["type"] = "file" });
        var user = await BenchHost.Setup.UserWithTasksAsync(client, rounds * 3 + 4, fields);
        var nextTask = 0;

        async Task<JsonNode> ReserveAsync() => (await BenchHost.Setup.CallAsync(client, user.Hash, "task/form/file/create",
            new JsonObject { ["task_id"] = user.Tasks[nextTask++], ["field_id"] = "doc", ["size"] = Size, ["filename"] = "big.bin" }))["value"]!;

        async Task<double> MultipartAsync()
        {
            var token = (await ReserveAsync())["fields"]!["token"]!.GetValue<string>();
            using var form = new MultipartFormDataContent { { new StringContent(token), "token" } };
            var file = new StreamContent(new PatternStream(Size));
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, "file", "big.bin");
            var clock = Stopwatch.StartNew();
            using var response = await client.PostAsync("/v2/task/form/file/upload", form);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            return response.IsSuccessStatusCode ? elapsed : throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
        }

        async Task<double> DirectAsync()
        {
            var sas = (await ReserveAsync())["sas_url"]!.GetValue<string>();
            using var put = new HttpRequestMessage(HttpMethod.Put, sas) { Content = new StreamContent(new PatternStream(Size)) };
            put.Content.Headers.ContentLength = Size; // Blob Storage takes no chunked PUT.
            put.Headers.Add("x-ms-blob-type", "BlockBlob");
            var clock = Stopwatch.StartNew();
            using var response = await direct.SendAsync(put);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            return response.IsSuccessStatusCode ? elapsed : throw new InvalidOperationException(response.ReasonPhrase);
        }

        await MultipartAsync();
        await DirectAsync();
        var multipart = new List<double>();
        var floor = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            if (round % 2 == 0)
            {
                multipart.Add(await MultipartAsync());
                floor.Add(await DirectAsync());
            }
            else
            {
                floor.Add(await DirectAsync());
                multipart.Add(await MultipartAsync());
            }
        }

        var (allocated, workingSet) = await MemoryOfOneUploadAsync(MultipartAsync);
        var (clientAllocated, _) = await MemoryOfOneUploadAsync(DirectAsync);
        var staged = new List<double>();
        for (var round = 0; round < rounds; round++)
            staged.Add(await StagedAsync(azurite.ConnectionString, round));
        var latencies = await CompletionLatenciesAsync(azurite.ConnectionString, user, ReserveAsync, direct, rounds);

        Console.WriteLine();
        Console.WriteLine($"16 MiB uploads, {rounds} of each, alternating");
        Console.WriteLine("| run | median ms | min ms | max ms |");
        Console.WriteLine("|---|---|---|---|");
        Row("multipart via the service", multipart);
        Row("PUT straight to Azurite (floor)", floor);
        Row("2 MiB blocks staged straight with the SDK", staged);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"time ratio (median) vs PUT: {Median(multipart) / Median(floor):F2}×, vs staged blocks: {Median(multipart) / Median(staged):F2}×"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"one 16 MiB multipart upload: {allocated / 1024.0 / 1024:F2} MiB managed allocated in the process ({clientAllocated / 1024.0 / 1024:F2} MiB of it the client's, as measured on a direct PUT), working set +{workingSet / 1024.0 / 1024:F2} MiB at peak"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SAS PUT → uploaded through reconciliation: median {Median(latencies):F0} ms, max {latencies.Max():F0} ms ({latencies.Count} uploads)"));
    }

    /// <summary>The floor for any upload whose length is unknown until its end: 2 MiB blocks staged one after another, then committed.</summary>
    private static async Task<double> StagedAsync(string connectionString, int round)
    {
        var block = new BlobContainerClient(connectionString, "form-files").GetBlockBlobClient($"bench/staged-{round}");
        var buffer = new byte[2 * 1024 * 1024];
        var source = new PatternStream(Size);
        var ids = new List<string>();
        var clock = Stopwatch.StartNew();
        int read;
        while ((read = await source.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
        {
            var id = Convert.ToBase64String(BitConverter.GetBytes(ids.Count));
            ids.Add(id);
            await block.StageBlockAsync(id, new MemoryStream(buffer, 0, read));
        }

        await block.CommitBlockListAsync(ids);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        await block.DeleteAsync();
        return elapsed;
    }

    /// <summary>Allocations across the whole process (client and service) and peak working-set growth during one upload.</summary>
    private static async Task<(long Allocated, long WorkingSet)> MemoryOfOneUploadAsync(Func<Task<double>> upload)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var baseline = process.WorkingSet64;
        var peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                await Task.Delay(2);
            }
        });
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await upload();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        await sampling.CancelAsync();
        await sampler;
        return (allocated, peak - baseline);
    }

    /// <summary>From the end of a SAS PUT until the file row says uploaded (polled every 5 ms straight from the table).</summary>
    private static async Task<List<double>> CompletionLatenciesAsync(string connectionString, BenchHost.Setup.BenchUser user, Func<Task<JsonNode>> reserve, HttpClient direct, int count)
    {
        var tasks = new TableServiceClient(connectionString).GetTableClient("tasks");
        var latencies = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var reservation = await reserve();
            var fileId = reservation["file_id"]!.GetValue<long>();
            using var put = new HttpRequestMessage(HttpMethod.Put, reservation["sas_url"]!.GetValue<string>()) { Content = new ByteArrayContent(new byte[1000]) };
            put.Headers.Add("x-ms-blob-type", "BlockBlob");
            (await direct.SendAsync(put)).EnsureSuccessStatusCode();
            var clock = Stopwatch.StartNew();
            var partition = (fileId >> 20).ToString("D19", CultureInfo.InvariantCulture);
            var row = "file-" + fileId.ToString("D19", CultureInfo.InvariantCulture);
            while ((await tasks.GetEntityAsync<TableEntity>(partition, row, ["State"])).Value.GetString("State") != "uploaded")
                await Task.Delay(5);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            await Task.Delay(Random.Shared.Next(0, 1000)); // Uploads land at any point of the loop's second.
        }

        return latencies;
    }

    private static void Row(string name, List<double> times) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Median(times):F0} | {times.Min():F0} | {times.Max():F0} |"));

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>A stream of <paramref name="length"/> bytes made from one small buffer, so that the client allocates nothing per byte.</summary>
    private sealed class PatternStream(long length) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - position);
            for (var i = 0; i < n; i++)
                buffer[offset + i] = (byte)((position + i) * 31);
            position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
