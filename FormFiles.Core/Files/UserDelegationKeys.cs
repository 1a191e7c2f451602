using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace FormFiles.Files;

/// <summary>
/// One user delegation key (SasSigning = UserDelegation) shared by every SAS the process signs.
/// Storage grants a key for at most seven days; it is renewed once it has less than two days left,
/// or when a SAS would outlive it.
/// </summary>
public sealed class UserDelegationKeys(BlobServiceClient service, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(2);

    private readonly SemaphoreSlim renewal = new(1, 1);
    private UserDelegationKey? current;

    public async Task<UserDelegationKey> GetAsync(DateTimeOffset neededUntil, CancellationToken cancellationToken)
    {
        if (IsFresh(current, neededUntil))
            return current!;
        await renewal.WaitAsync(cancellationToken);
        try
        {
            if (!IsFresh(current, neededUntil))
            {
                var now = time.GetUtcNow();
                current = (await service.GetUserDelegationKeyAsync(now - TimeSpan.FromMinutes(5), now + Lifetime, cancellationToken)).Value;
            }

            return current!;
        }
        finally
        {
            renewal.Release();
        }
    }

    private bool IsFresh(UserDelegationKey? key, DateTimeOffset neededUntil) =>
        key is not null && key.SignedExpiresOn - time.GetUtcNow() > RenewBefore && key.SignedExpiresOn >= neededUntil;
}
