using System.Net;
using CsCheck;
using FormFiles.Calls;
using FormFiles.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace FormFiles.Tests.Calls;

/// <summary>
/// A keyless call's address: behind N trusted proxies the N-th <c>X-Forwarded-For</c> entry from the end, whatever a client
/// writes to the left of it; garbage where the proxies write falls back to the connection's address.
/// </summary>
public sealed class ClientAddressTests
{
    private static readonly IPAddress Connection = IPAddress.Parse("10.0.0.9");

    /// <summary>What proxies write: an address, with or without its port, or what a broken one might.</summary>
    private static readonly Gen<string> Written = Gen.OneOf(
        Gen.Const("203.0.113.7"), Gen.Const("203.0.113.7:51234"), Gen.Const("[2001:db8::1]:443"), Gen.Const("2001:db8::2"),
        Gen.Const("unknown"), Gen.Const(" "), Gen.Const("1.2.3.4.5"), Gen.Const("999.1.1.1"));

    /// <summary>What a client may put in front: anything, commas and unpaired surrogates included.</summary>
    private static readonly Gen<string> Forged = Gen.OneOf(Written, Gen.Const("\ud800"), Gen.Const(",,"), Gen.String[0, 20]);

    [Fact]
    public Task Entries_a_client_adds_in_front_change_nothing() =>
        Gen.Select(Forged.Array[0, 4], Written.Array[1, 4], Gen.Int[0, 3]).CheckAsync(c =>
        {
            var (forged, written, proxies) = c;
            var honest = Address([string.Join(", ", written)], proxies);
            if (proxies == 0 || written.Length < proxies)
            {
                Assert.Equal(Connection.ToString(), honest); // No proxies, or fewer than configured: the connection's.
                return Task.CompletedTask;
            }

            Assert.Equal(honest, Address([string.Join(", ", forged.Concat(written))], proxies));
            Assert.Equal(honest, Address([.. forged, string.Join(",", written)], proxies)); // In headers of their own, too.
            return Task.CompletedTask;
        }, seed: "0000004kXyZab2", cases: 500);

    [Theory]
    [InlineData(new[] { "198.51.100.1, 203.0.113.7:51234" }, 1, "203.0.113.7")]
    [InlineData(new[] { "198.51.100.1", "203.0.113.7" }, 2, "198.51.100.1")]
    [InlineData(new[] { "[2001:db8::1]:443" }, 1, "2001:db8::/64")]
    [InlineData(new[] { "2001:db8:0:0:ffff::9" }, 1, "2001:db8::/64")] // One subscriber's /64: one bucket.
    [InlineData(new[] { "::ffff:203.0.113.7" }, 1, "203.0.113.7")]
    [InlineData(new[] { "not an address" }, 1, "10.0.0.9")]
    [InlineData(new string[0], 1, "10.0.0.9")]
    [InlineData(new[] { "203.0.113.7" }, 0, "10.0.0.9")]
    public void The_entry_the_last_trusted_proxy_wrote(string[] headers, int proxies, string expected) =>
        Assert.Equal(expected, ClientAddress.Of(Context(headers), proxies));

    private static string Address(string[] headers, int proxies) => ClientAddress.Of(Context(headers), proxies);

    private static DefaultHttpContext Context(string[] headers)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = Connection;
        if (headers.Length > 0)
            context.Request.Headers["X-Forwarded-For"] = headers;
        return context;
    }
}
