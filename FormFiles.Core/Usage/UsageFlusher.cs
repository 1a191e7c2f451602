using Microsoft.Extensions.Hosting;

namespace FormFiles.Usage;

/// <summary>Flushes the usage meter every <c>FormFiles:Usage:FlushInterval</c>, and once more when the host stops.</summary>
internal sealed class UsageFlusher(UsageMeter meter, TimeProvider time, IOptions<FormFilesOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Usage.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await meter.FlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync flushes what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await meter.FlushAsync(cancellationToken);
    }
}
