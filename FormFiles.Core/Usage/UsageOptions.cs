namespace FormFiles.Usage;

/// <summary>Section <c>FormFiles:Usage</c>: per-call metering, counted in memory and flushed.</summary>
public sealed class UsageOptions
{
    /// <summary>Off, calls are not counted (the create benchmark compares both).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often counts go to storage; a crash loses at most this much.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    internal void Validate(string section, List<string> failures)
    {
        if (FlushInterval < TimeSpan.FromMilliseconds(100) || FlushInterval > TimeSpan.FromMinutes(10))
            failures.Add($"{section}:FlushInterval must be between 00:00:00.100 and 00:10:00.");
    }
}
