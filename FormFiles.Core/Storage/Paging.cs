namespace FormFiles.Storage;

public static class Paging
{
    /// <summary>The first <paramref name="limit"/> rows, and whether more follow: read as one row more, so a page costs O(limit).</summary>
    public static async Task<(List<T> Page, bool More)> PageAsync<T>(this IAsyncEnumerable<T> rows, int limit, CancellationToken cancellationToken)
    {
        var read = await rows.Take(limit + 1).ToListAsync(cancellationToken);
        var more = read.Count > limit;
        if (more)
            read.RemoveAt(limit);
        return (read, more);
    }
}
