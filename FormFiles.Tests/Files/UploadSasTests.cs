using System.Web;
using Azure.Storage.Blobs;
using FormFiles.Files;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FormFiles.Tests.Files;

/// <summary>What the upload SAS grants, read off the URL (no storage needed to sign with an account key).</summary>
public sealed class UploadSasTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    [Theory]
    [InlineData("https", "https")]
    [InlineData("http", "https,http")]
    public async Task Sas_is_https_only_unless_the_blob_endpoint_is_plain_http(string scheme, string protocols)
    {
        var service = new BlobServiceClient($"DefaultEndpointsProtocol={scheme};AccountName=acct;AccountKey={Key};EndpointSuffix=core.windows.net");
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 18, 0, 0, TimeSpan.Zero));
        var blobs = new FileBlobs(service, new UserDelegationKeys(service, clock), Options.Create(new FormFilesOptions()), clock);
        var expires = clock.GetUtcNow().AddHours(1);

        var sas = await blobs.UploadSasAsync(FileBlobs.Name(7, 3, 3145729), expires, CancellationToken.None);

        var query = HttpUtility.ParseQueryString(sas.Query);
        Assert.Equal($"{scheme}://acct.blob.core.windows.net/form-files/7/3/3145729", sas.GetLeftPart(UriPartial.Path));
        Assert.Equal(protocols, query["spr"]);
        Assert.Equal("c", query["sp"]); // Create only: one Put Blob, no overwrite, no blocks, no lease.
        Assert.Equal("b", query["sr"]);
        Assert.Equal("2026-11-23T17:55:00Z", query["st"]);
        Assert.Equal("2026-11-23T19:00:00Z", query["se"]);
    }
}
