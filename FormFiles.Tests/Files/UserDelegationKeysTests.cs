using System.Web;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FormFiles.Files;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Files;

/// <summary>
/// Azurite cannot issue user delegation keys, so the SDK call is answered by a subclass (the SDK's
/// own test seam); what is checked is our caching and renewal, and the SAS signed with the key.
/// </summary>
public sealed class UserDelegationKeysTests
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 23, 18, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task One_key_serves_until_it_has_two_days_left_then_a_new_one_is_fetched()
    {
        var service = new KeyIssuingService(clock);
        var keys = new UserDelegationKeys(service, clock);

        var first = await keys.GetAsync(clock.GetUtcNow().AddHours(1), CancellationToken.None);
        clock.Advance(TimeSpan.FromDays(4));
        var stillFirst = await keys.GetAsync(clock.GetUtcNow().AddHours(1), CancellationToken.None);
        clock.Advance(TimeSpan.FromDays(1));
        var second = await keys.GetAsync(clock.GetUtcNow().AddHours(1), CancellationToken.None);

        Assert.Same(first, stillFirst);
        Assert.NotSame(first, second);
        Assert.Equal(2, service.Issued);
        Assert.True(first.SignedExpiresOn - first.SignedStartsOn <= TimeSpan.FromDays(7));
    }

    [Fact]
    public async Task Upload_sas_signed_with_a_delegation_key_names_the_key_and_grants_create_only()
    {
        var service = new KeyIssuingService(clock);
        var blobs = new FileBlobs(service, new UserDelegationKeys(service, clock), Options.Create(new FormFilesOptions { SasSigning = SasSigning.UserDelegation }), clock);

        var sas = await blobs.UploadSasAsync("7/3/3145729", clock.GetUtcNow().AddHours(1), CancellationToken.None);

        var query = HttpUtility.ParseQueryString(sas.Query);
        Assert.Equal("https://acct.blob.core.windows.net/form-files/7/3/3145729", sas.GetLeftPart(UriPartial.Path));
        Assert.Equal("00000000-0000-0000-0000-000000000001", query["skoid"]);
        Assert.Equal("c", query["sp"]); // Create only: one Put Blob, no overwrite, no blocks, no lease.
        Assert.Equal("https", query["spr"]);
        Assert.NotNull(query["sig"]);
    }

    private sealed class KeyIssuingService(TimeProvider clock) : BlobServiceClient(new Uri("https://acct.blob.core.windows.net"))
    {
        public int Issued { get; private set; }

        public override string AccountName => "acct";

        public override Task<Response<UserDelegationKey>> GetUserDelegationKeyAsync(DateTimeOffset? startsOn, DateTimeOffset expiresOn, CancellationToken cancellationToken = default)
        {
            Issued++;
            var key = BlobsModelFactory.UserDelegationKey(
                "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002",
                startsOn ?? clock.GetUtcNow(), expiresOn, "b", "2026-10-06", Convert.ToBase64String(new byte[32]));
            return Task.FromResult(Response.FromValue(key, null!));
        }
    }
}
