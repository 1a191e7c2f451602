using System.Net;
using System.Net.Sockets;
using FormFiles.Tests.Infrastructure;

namespace FormFiles.Tests;

[Collection(ServiceFixture.Collection)]
public sealed class HealthTests(ServiceFixture service)
{
    [Fact]
    public async Task Health_is_200_when_tables_and_blobs_answer()
    {
        var response = (await service.Client.CallAsync(new HttpRequestMessage(HttpMethod.Get, "/v2/health"))).AssertOk();

        Assert.Equal("ok", response.Body["storage"]!["tables"]!.GetValue<string>());
        Assert.Equal("ok", response.Body["storage"]!["blobs"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_needs_no_key()
    {
        var response = await service.Client.GetAsync("/v2/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Health_is_503_with_14_when_storage_is_unreachable()
    {
        var closedPort = ClosedLoopbackPort();
        var unreachable = service.Azurite.ConnectionString
            .Replace(service.Azurite.TableEndpoint.GetLeftPart(UriPartial.Authority), $"http://127.0.0.1:{closedPort}", StringComparison.Ordinal);
        await using var factory = FormFilesFactory.ForStorage(unreachable);
        factory.StartServer();
        using var client = factory.CreateClient();

        var response = await Envelope.ReadAsync(await client.GetAsync("/v2/health"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.HttpStatus);
        Assert.False(response.Success);
        Assert.Equal(14, response.Code);
        Assert.Equal("Database unavailable: tables", response.Description);
        Assert.Equal("unavailable", response.Body["storage"]!["tables"]!.GetValue<string>());
        Assert.Equal("ok", response.Body["storage"]!["blobs"]!.GetValue<string>());
    }

    /// <summary>A loopback port that nothing listens on: bound, read, and released.</summary>
    private static int ClosedLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
