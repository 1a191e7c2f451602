using System.Net;
using System.Net.Sockets;

namespace FormFiles.Webhooks;

/// <summary>
/// Connects webhook deliveries, refusing (before any connection is made) a target that resolves to a
/// loopback, private, shared, link-local (cloud metadata) or unspecified address, unless
/// <c>FormFiles:Webhooks:AllowPrivateTargets</c>. Checked at connection time, on the address actually
/// dialled, so a name that resolves differently later (DNS rebinding) cannot slip through.
/// </summary>
public sealed class TargetGuard(IOptions<FormFilesOptions> options)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = options.Value.Webhooks.AllowPrivateTargets ? addresses : addresses.Where(a => !IsPrivate(a)).ToArray();
        if (allowed.Length == 0)
            throw new HttpRequestException($"Refused: {host} resolves to a private address (FormFiles:Webhooks:AllowPrivateTargets is off)");

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
            return true;
        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // IPv4 carried in IPv6: IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) are judged by their IPv4 address.
            if (b.Take(12).All(x => x == 0))
                return IsPrivate(new IPAddress(b[12..16]));
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.Skip(4).Take(8).All(x => x == 0))
                return IsPrivate(new IPAddress(b[12..16]));
            if (b[0] == 0x20 && b[1] == 0x02)
                return IsPrivate(new IPAddress(b[2..6]));
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
        }

        return b[0] is 0 or 10 or 127 || b[0] >= 224
               || (b[0] == 172 && b[1] is >= 16 and <= 31)
               || (b[0] == 192 && b[1] == 168)
               || (b[0] == 192 && b[1] == 0 && b[2] == 0) // IETF protocol assignments
               || (b[0] == 198 && b[1] is 18 or 19) // benchmarking
               || (b[0] == 169 && b[1] == 254) // link-local, cloud metadata
               || (b[0] == 168 && b[1] == 63 && b[2] == 129 && b[3] == 16) // Azure's platform endpoint (wireserver)
               || (b[0] == 100 && b[1] is >= 64 and <= 127);
    }
}
