using Microsoft.Extensions.Hosting;

namespace FormFiles.Usage;

/// <summary>Flushes the usage meter every <c>FormFiles:Usage:FlushInterval</c>, and once more when the host stops.</summary>
internal sealed partial class UsageFlusher(UsageMeter meter, TimeProvider time, IOptions<FormFilesOptions> options, ILogger<UsageFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Usage.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await meter.FlushAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    FlushFailed(logger, e); // The next tick tries again.
                }
            }
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

    [LoggerMessage(EventId = 2601, Level = LogLevel.Error, Message = "A usage flush failed; the next tick tries again")]
    private static partial void FlushFailed(ILogger logger, Exception exception);
}
