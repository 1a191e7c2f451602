using System.Globalization;

namespace FormFiles.Bench;

/// <summary>
/// <c>dotnet run -c Release --project FormFiles.Bench -- create [workers] [creates per worker]</c><br/>
/// <c>dotnet run -c Release --project FormFiles.Bench -- upload [rounds]</c><br/>
/// <c>dotnet run -c Release --project FormFiles.Bench -- sweep</c><br/>
/// <c>dotnet run -c Release --project FormFiles.Bench -- list [list name prefix]</c><br/>
/// <c>dotnet run -c Release --project FormFiles.Bench -- webhooks</c><br/>
/// <c>dotnet run -c Release --project FormFiles.Bench -- keyed [workers] [creates per worker]</c>
/// </summary>
internal static class Benchmarks
{
    public static async Task<int> Main(string[] args)
    {
        var benchmark = args.FirstOrDefault() ?? "create";
        var workers = args.Length > 1 && int.TryParse(args[1], CultureInfo.InvariantCulture, out var w) ? w : 8;
        var perWorker = args.Length > 2 && int.TryParse(args[2], CultureInfo.InvariantCulture, out var p) ? p : 250;
        switch (benchmark)
        {
            case "create":
                await CreateBenchmark.RunAsync(workers, perWorker);
                return 0;
            case "sweep":
                await SweepBenchmark.RunAsync();
                return 0;
            case "webhooks":
                await WebhookBenchmark.RunAsync();
                return 0;
            case "list":
                await ListBenchmark.RunAsync(args.Length > 1 ? args[1] : null);
                return 0;
            case "keyed":
                await KeyedCallsBenchmark.RunAsync(workers, perWorker);
                return 0;
            case "upload":
                await UploadBenchmark.RunAsync(args.Length > 1 ? workers : 10);
                return 0;
            default:
                await Console.Error.WriteLineAsync($"Unknown benchmark '{benchmark}'. Known: create, upload, sweep, list, webhooks, keyed.");
                return 2;
        }
    }
}
