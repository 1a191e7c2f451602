using Azure;
using Azure.Data.Tables;
using FormFiles.Api;

namespace FormFiles.Storage;

/// <summary>
/// Hands out the ids the API shows, all Navixy <c>int</c>s (at most <see cref="int.MaxValue"/>; tasks, which also number
/// blocks of file ids, at most <see cref="Files.FileIds.MaxNumber"/>), from blocks reserved on a counter row with an ETag-conditional
/// update (each sequence in a partition of its own, PK its name, RK <c>next</c>), so that one storage write serves <see cref="BlockSize"/> ids. Ids are unique across
/// processes and increase within one; a block's unused ids are lost when the process ends.
/// </summary>
public sealed class IdAllocator(Tables tables)
{
    public const int BlockSize = 50;

    /// <summary>The sequence of task ids and of further blocks of file ids (<see cref="Files.FileIds"/>).</summary>
    public const string Tasks = "task";

    private const string Row = "next";

    private readonly Dictionary<string, Sequence> sequences = [];

    public async ValueTask<long> NextAsync(string sequence, CancellationToken cancellationToken)
    {
        Sequence state;
        lock (sequences)
        {
            if (!sequences.TryGetValue(sequence, out state!))
                sequences[sequence] = state = new Sequence();
        }

        while (true)
        {
            if (state.TryTake(out var id))
            {
                return id <= Max(sequence)
                    ? id
                    : throw new ApiException(ErrorCode.TooManyEntities, $"Too many entities: this deployment has handed out every {sequence} id there is ({Max(sequence)})");
            }

            await state.Refill.WaitAsync(cancellationToken);
            try
            {
                if (!state.HasIds)
                    state.Assign(await ReserveBlockAsync(sequence, cancellationToken));
            }
            finally
            {
                state.Refill.Release();
            }
        }
    }

    private static long Max(string sequence) => sequence == Tasks ? Files.FileIds.MaxNumber : int.MaxValue;

    /// <summary>Moves the counter row on by one block; returns the block's first id. A lost response that landed still hands out its block.</summary>
    private Task<long> ReserveBlockAsync(string sequence, CancellationToken cancellationToken) =>
        Contention.RetryAsync(async () =>
        {
            var row = await tables.Counters.GetEntityIfExistsAsync<CounterEntity>(sequence, Row, cancellationToken: cancellationToken);
            if (!row.HasValue)
                return (await tables.Counters.TryAddAsync(new CounterEntity { PartitionKey = sequence, RowKey = Row, Next = 1 + BlockSize }, cancellationToken), 1L);

            var counter = row.Value!;
            var first = counter.Next;
            counter.Next = first + BlockSize;
            return (await tables.Counters.TryUpdateAsync(counter, counter.ETag, cancellationToken), first);
        }, cancellationToken);

    private sealed class Sequence
    {
        private readonly Lock gate = new();
        private long next;
        private long end;

        public SemaphoreSlim Refill { get; } = new(1, 1);

        public bool HasIds
        {
            get
            {
                lock (gate)
                    return next < end;
            }
        }

        public bool TryTake(out long id)
        {
            lock (gate)
            {
                id = next;
                if (next >= end)
                    return false;
                next++;
                return true;
            }
        }

        public void Assign(long first)
        {
            lock (gate)
                (next, end) = (first, first + BlockSize);
        }
    }

    private sealed class CounterEntity : IStampedEntity
    {
        public string PartitionKey { get; set; } = string.Empty;

        public string RowKey { get; set; } = string.Empty;

        public DateTimeOffset? Timestamp { get; set; }

        public ETag ETag { get; set; }

        public string? Op { get; set; }

        public long Next { get; set; }
    }
}
