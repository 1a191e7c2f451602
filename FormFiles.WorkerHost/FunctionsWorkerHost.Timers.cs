using Cronos;

namespace FormFiles.WorkerHost;

/// <summary>Timers on their schedules (six-field CRON, UTC), for the standalone command; one run of a timer at a time, as the host's.</summary>
public sealed partial class FunctionsWorkerHost
{
    private Task RunTimersAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Functions.Where(f => f.TriggerType.Equals("timerTrigger", StringComparison.OrdinalIgnoreCase)).Select(f => RunTimerAsync(f, cancellationToken)));

    private async Task RunTimerAsync(HostedFunction function, CancellationToken cancellationToken)
    {
        var schedule = CronExpression.Parse(function.Trigger["schedule"]!.GetValue<string>(), CronFormat.IncludeSeconds);
        while (!cancellationToken.IsCancellationRequested)
        {
            var next = schedule.GetNextOccurrence(DateTime.UtcNow);
            if (next is null)
                return;
            try
            {
                var wait = next.Value - DateTime.UtcNow;
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, cancellationToken);
                await InvokeTimerAsync(function.Name, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                InvocationFailed(logger, function.Name, e.Message); // The next occurrence runs again, as the host's timer does.
            }
        }
    }
}
