using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
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
        Assert.False(response.Body["sweep"]!["late"]!.GetValue<bool>());
        Assert.Equal(86400, response.Body["sweep"]!["interval_seconds"]!.GetValue<long>());
        Assert.NotNull(response.Body["pending"]);
        Assert.NotNull(response.Body["webhooks"]);
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
        var unreachable = service.NewStorage().ConnectionString
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

    [Fact]
    public async Task Health_is_503_naming_sas_signing_when_no_user_delegation_key_can_be_had()
    {
        // Azurite, reached with its account key, grants no user delegation key: what a missing role looks like in Azure.
        await using var factory = new FormFilesFactory(new Dictionary<string, string?>(service.NewStorage().Settings)
        {
            ["FormFiles:SasSigning"] = "UserDelegation",
        });
        factory.StartServer();
        using var client = factory.CreateClient();

        var response = await Envelope.ReadAsync(await client.GetAsync("/v2/health"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.HttpStatus);
        Assert.Equal(14, response.Code);
        Assert.Equal("Database unavailable: sas signing", response.Description);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"tables":"ok","blobs":"ok","sas_signing":"unavailable"}"""), response.Body["storage"]), response.Raw);
    }

    [Fact]
    public async Task Health_has_no_sas_signing_probe_when_sas_is_signed_with_the_account_key()
    {
        var response = (await service.Client.CallAsync(new HttpRequestMessage(HttpMethod.Get, "/v2/health"))).AssertOk();

        Assert.Null(response.Body["storage"]!["sas_signing"]);
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
