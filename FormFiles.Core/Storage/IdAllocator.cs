using Azure;
using Azure.Data.Tables;

namespace FormFiles.Storage;

/// <summary>
/// Hands out int64 ids (design §6) from blocks reserved on a counter row with an ETag-conditional
/// update, so that one storage write serves <see cref="BlockSize"/> ids. Ids are unique across
/// processes and increase within one; a block's unused ids are lost when the process ends.
/// </summary>
public sealed class IdAllocator(Tables tables)
{
    public const int BlockSize = 50;
    private const string Partition = "ids";

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
                return id;
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

    /// <summary>Moves the counter row on by one block; returns the block's first id.</summary>
    private async Task<long> ReserveBlockAsync(string sequence, CancellationToken cancellationToken)
    {
        while (true)
        {
            var row = await tables.Counters.GetEntityIfExistsAsync<CounterEntity>(Partition, sequence, cancellationToken: cancellationToken);
            try
            {
                if (!row.HasValue)
                {
                    await tables.Counters.AddEntityAsync(new CounterEntity { PartitionKey = Partition, RowKey = sequence, Next = 1 + BlockSize }, cancellationToken);
                    return 1;
                }

                var counter = row.Value!;
                var first = counter.Next;
                counter.Next = first + BlockSize;
                await tables.Counters.UpdateEntityAsync(counter, counter.ETag, TableUpdateMode.Replace, cancellationToken);
                return first;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another process reserved a block first: read the counter again.
            }
        }
    }

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

    private sealed class CounterEntity : ITableEntity
    {
        public string PartitionKey { get; set; } = string.Empty;

        public string RowKey { get; set; } = string.Empty;

        public DateTimeOffset? Timestamp { get; set; }

        public ETag ETag { get; set; }

        public long Next { get; set; }
    }
}
