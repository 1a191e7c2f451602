namespace FormFiles.Webhooks;

/// <summary>Configuration section <c>FormFiles:Webhooks</c>: how events are delivered.</summary>
public sealed class WebhookOptions
{
    /// <summary>Plain http and targets on loopback, private, link-local or metadata addresses (the DevHost sets it in Development).</summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>How long one delivery attempt may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// When each attempt is made, after the event (the first) or after the attempt before; jittered by up
    /// to a tenth. Unset: <see cref="DefaultRetrySchedule"/> (a configured list replaces it whole).
    /// </summary>
    public TimeSpan[]? RetrySchedule { get; set; }

    public static IReadOnlyList<TimeSpan> DefaultRetrySchedule { get; } =
    [
        TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    public IReadOnlyList<TimeSpan> Schedule => RetrySchedule is { Length: > 0 } configured ? configured : DefaultRetrySchedule;

    /// <summary>An endpoint that has failed every attempt for this long is disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How long a delivery is kept (listed, retried) after it was queued, whatever became of it.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the DevHost looks for due retries (in Azure, the timer: every ten seconds).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    internal void Validate(string section, List<string> failures)
    {
        if (Timeout < TimeSpan.FromMilliseconds(100) || Timeout > TimeSpan.FromMinutes(5))
            failures.Add($"{section}:Timeout must be between 00:00:00.100 and 00:05:00.");
        if (Schedule.Count > 20 || Schedule.Any(d => d < TimeSpan.Zero || d > TimeSpan.FromDays(2)))
            failures.Add($"{section}:RetrySchedule must list 1 to 20 delays of 0 to 2 days.");
        if (DisableAfter < TimeSpan.FromMinutes(1))
            failures.Add($"{section}:DisableAfter must be at least 00:01:00.");
        if (Retention < TimeSpan.FromDays(1) || Retention > TimeSpan.FromDays(365))
            failures.Add($"{section}:Retention must be between 1.00:00:00 and 365.00:00:00.");
        else if (Retention <= TimeSpan.FromTicks(Schedule.Sum(d => d.Ticks)) * 1.1)
            failures.Add($"{section}:Retention must be longer than the RetrySchedule's attempts take (their delays and a tenth), or pending deliveries would go.");
        if (PollInterval < TimeSpan.FromMilliseconds(100) || PollInterval > TimeSpan.FromMinutes(5))
            failures.Add($"{section}:PollInterval must be between 00:00:00.100 and 00:05:00.");
    }
}
