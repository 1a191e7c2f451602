namespace FormFiles.Storage;

/// <summary>
/// Lets a periodic pass through at most once per interval on this instance: the first caller past the time goes,
/// the others skip. A pass that left work behind reopens the gate, so that the next tick goes on at once.
/// </summary>
public sealed class IntervalGate(TimeSpan interval)
{
    private long nextTicks;

    public bool TryEnter(DateTimeOffset now)
    {
        var next = Interlocked.Read(ref nextTicks);
        return now.UtcTicks >= next && Interlocked.CompareExchange(ref nextTicks, (now + interval).UtcTicks, next) == next;
    }

    public void Reopen() => Interlocked.Exchange(ref nextTicks, 0);
}
