using System.Net;

namespace FormFiles.Calls;

/// <summary>
/// The address a keyless call is limited by. Behind <see cref="RateLimitOptions.TrustedProxies"/> proxies that each append
/// the address they were called from to <c>X-Forwarded-For</c>, it is the entry that many from the end: entries further
/// left came from the client and prove nothing. Without proxies (or without enough entries) it is the connection's.
/// </summary>
public static class ClientAddress
{
    /// <returns>An IPv4 address, or an IPv6 address's /64 (what one subscriber is given: its addresses share a bucket).</returns>
    public static string Of(HttpContext context, int trustedProxies)
    {
        var connection = context.Connection.RemoteIpAddress is { } remote ? Bucket(remote) : "unknown";
        if (trustedProxies == 0)
            return connection;
        var hops = context.Request.Headers["X-Forwarded-For"].SelectMany(v => (v ?? string.Empty).Split(',')).Select(h => h.Trim()).ToList();
        return hops.Count >= trustedProxies && Parse(hops[^trustedProxies]) is { } address ? Bucket(address) : connection;
    }

    private static string Bucket(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>An address as proxies write it: bare, with a port, or IPv6 in brackets with one.</summary>
    private static IPAddress? Parse(string hop) =>
        IPEndPoint.TryParse(hop, out var endpoint) ? endpoint.Address : IPAddress.TryParse(hop, out var address) ? address : null;
}
