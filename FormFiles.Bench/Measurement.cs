using System.Diagnostics;

namespace FormFiles.Bench;

/// <summary>Latencies of one run of operations issued by parallel workers, and the run's throughput.</summary>
public sealed record Measurement(string Name, double[] LatenciesMs, TimeSpan Elapsed)
{
    public double P50 => Percentile(0.50);

    public double P99 => Percentile(0.99);

    public double Throughput => LatenciesMs.Length / Elapsed.TotalSeconds;

    /// <summary>Runs <paramref name="operation"/> <paramref name="perWorker"/> times on each of <paramref name="workers"/> parallel workers.</summary>
    public static async Task<Measurement> RunAsync(string name, int workers, int perWorker, Func<int, int, Task> operation)
    {
        var latencies = new double[workers * perWorker];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < perWorker; i++)
            {
                var start = Stopwatch.GetTimestamp();
                await operation(worker, i);
                latencies[worker * perWorker + i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        })));
        return new Measurement(name, latencies, clock.Elapsed);
    }

    /// <summary>Several runs as one: all their latencies, and their summed time.</summary>
    public static Measurement Combine(string name, IReadOnlyList<Measurement> runs) =>
        new(name, runs.SelectMany(r => r.LatenciesMs).ToArray(), TimeSpan.FromTicks(runs.Sum(r => r.Elapsed.Ticks)));

    private double Percentile(double p)
    {
        var sorted = LatenciesMs.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }
}
