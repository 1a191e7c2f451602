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
        { new AggregateException(new RequestFailedException("refused"), new RequestFailedException("refused"), new TaskCanceledException()), true, true },
        { new AggregateException(new RequestFailedException(403, "Forbidden"), new TaskCanceledException()), false, true },
        { new AggregateException(new TaskCanceledException()), false, false },
        { new AggregateException(new RequestFailedException("refused"), new InvalidOperationException()), false, false },
        { new AuthenticationFailedException("no identity"), true, true },
        { new CredentialUnavailableException("no managed identity here"), true, true },
        { new InvalidOperationException("a bug"), false, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Failures_are_classified(Exception exception, bool unavailable, bool storageFailure)
    {
        Assert.Equal(unavailable, StorageFaults.IsUnavailable(exception));
        Assert.Equal(storageFailure, StorageFaults.IsStorageFailure(exception));
    }
}
