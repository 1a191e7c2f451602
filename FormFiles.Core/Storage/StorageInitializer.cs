using FormFiles.Files;
using Microsoft.Extensions.Hosting;

namespace FormFiles.Storage;

/// <summary>
/// Creates the tables and the blob containers and reads the download links' key when the host starts, so that no request pays for it. Storage that does not
/// answer does not stop the host: it is logged, and health reports it until it answers.
/// </summary>
internal sealed partial class StorageInitializer(Tables tables, FileBlobs blobs, DownloadLinks links, ILogger<StorageInitializer> logger) : IHostedService
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        try
        {
            await Task.WhenAll(tables.All.Select(table => (Task)table.CreateIfNotExistsAsync(timeout.Token))
                .Append(blobs.Container.CreateIfNotExistsAsync(cancellationToken: timeout.Token))
                .Append(blobs.Accepted.CreateIfNotExistsAsync(cancellationToken: timeout.Token)));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return; // The host is stopping as it starts (the Functions host's WorkerTerminate): nothing to make ready, and no crash.
        }
        catch (Exception e) when (StorageFaults.IsStorageFailure(e) || e is OperationCanceledException)
        {
            TablesNotCreated(logger, e);
        }

        // With patience of its own: a slow start of the tables must not leave the first links to read the key.
        using var keyTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        keyTimeout.CancelAfter(Patience);
        try
        {
            await links.LoadAsync(keyTimeout.Token);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping as it starts, as above.
        }
        catch (Exception e) when (StorageFaults.IsStorageFailure(e) || e is OperationCanceledException)
        {
            KeyNotLoaded(logger, e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Could not create the tables and container at start-up; storage is not answering")]
    private static partial void TablesNotCreated(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Could not read the download links' key at start-up; the first link reads it")]
    private static partial void KeyNotLoaded(ILogger logger, Exception exception);
}
