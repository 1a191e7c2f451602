namespace FormFiles.Tests.Infrastructure;

/// <summary>The system clock moved by <see cref="Offset"/>; its timers stay on real time, so moving it fires none of a host's loops.</summary>
public sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
