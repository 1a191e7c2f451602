using System.Net.Sockets;
using Azure;
using Azure.Identity;
using FormFiles.Storage;

namespace FormFiles.Tests.Api;

/// <summary>How SDK failures are told apart: storage unavailable (14, and passes go on) versus a bug.</summary>
public sealed class StorageFaultsTests
{
    public static TheoryData<Exception, bool, bool> Cases => new()
    {
        { new RequestFailedException("Connection refused"), true, true },
        { new RequestFailedException(503, "Server busy"), true, true },
        { new RequestFailedException(408, "Timeout"), true, true },
        { new RequestFailedException(403, "Forbidden"), false, true },
        { new RequestFailedException(403, "This request is not authorized to perform this operation using this permission.", "AuthorizationPermissionMismatch", null), true, true },
        { new AggregateException(new RequestFailedException("refused"), new RequestFailedException("refused"), new TaskCanceledException()), true, true },
        { new AggregateException(new RequestFailedException(403, "Forbidden"), new TaskCanceledException()), false, true },
        { new AggregateException(new TaskCanceledException()), false, false },
        { new AggregateException(new RequestFailedException("refused"), new InvalidOperationException()), false, false },
        { new AuthenticationFailedException("no identity"), true, true },
        { new CredentialUnavailableException("no managed identity here"), true, true },
        { new InvalidOperationException("a bug"), false, false },
    };

    /// <summary>Every transport shape the SDK and .NET throw, alone, wrapped, and inside the retries' AggregateException: 14, never 1 or 6.</summary>
    public static TheoryData<Exception> TransportFailures()
    {
        Func<Exception>[] shapes =
        [
            () => new SocketException((int)SocketError.ConnectionRefused),
            () => new IOException("Unable to read data from the transport connection", new SocketException((int)SocketError.ConnectionReset)),
            () => new HttpRequestException("An error occurred while sending the request", new IOException("reset")),
            () => new TimeoutException("The operation has timed out"),
            () => new TaskCanceledException("The request exceeded the configured timeout", new TimeoutException()),
            () => new RequestFailedException(0, "transport", null, new IOException("broken pipe")),
            () => new StorageContentionException(),
        ];
        Func<Exception, Exception>[] wrappers =
        [
            e => e,
            e => new AggregateException("Retry failed after 4 tries.", e, e),
            e => new AggregateException("Retry failed after 2 tries.", e, new TaskCanceledException()),
            e => new RequestFailedException(0, "Wrapped", null, e),
            e => new AggregateException(new AggregateException(e)),
        ];
        var data = new TheoryData<Exception>();
        foreach (var shape in shapes)
        {
            foreach (var wrap in wrappers)
                data.Add(wrap(shape()));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TransportFailures))]
    public void Transport_failures_of_every_shape_are_unavailable(Exception exception)
    {
        Assert.True(StorageFaults.IsUnavailable(exception), exception.ToString());
        Assert.True(StorageFaults.IsStorageFailure(exception));
    }

    [Fact]
    public void A_broken_client_body_is_not_storage_being_down() =>
        Assert.False(StorageFaults.IsUnavailable(new Microsoft.AspNetCore.Http.BadHttpRequestException("Unexpected end of request content.")));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Failures_are_classified(Exception exception, bool unavailable, bool storageFailure)
    {
        Assert.Equal(unavailable, StorageFaults.IsUnavailable(exception));
        Assert.Equal(storageFailure, StorageFaults.IsStorageFailure(exception));
    }
}
