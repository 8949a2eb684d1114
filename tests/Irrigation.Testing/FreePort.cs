using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Irrigation.Testing;

/// <summary>
/// Ports for processes that must be told their port (mosquitto, influxd, the server, the gateway's DTU listener).
/// </summary>
/// <remarks>
/// A port the kernel hands out for "port 0" comes from the ephemeral range (32768–60999 by default), the same range it
/// uses for the local end of every outgoing connection. Between the moment a test learns such a port and the moment the
/// child process binds it, any of the hundreds of client connections the parallel test assemblies open can take it
/// ("bind: address already in use", seen once on CI with influxd). So ports are handed out from below the ephemeral
/// range, where the kernel never picks a port on its own: each process walks that range from a random start, and each
/// candidate is checked by binding it once, so a port already listening (another test process's) is skipped.
/// </remarks>
public static class FreePort
{
    private const int FallbackEphemeralStart = 32768;
    private const int LowestPort = 20000;

    private static readonly int s_highestPort = EphemeralRangeStart() - 1;
    private static int s_next = LowestPort + Random.Shared.Next(s_highestPort - LowestPort);

    public static int Next()
    {
        var span = s_highestPort - LowestPort + 1;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = LowestPort + (int)((uint)Interlocked.Increment(ref s_next) % (uint)span);
            if (IsFree(port))
                return port;
        }

        throw new InvalidOperationException($"No free loopback port found between {LowestPort} and {s_highestPort}.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range).</summary>
    private static int EphemeralRangeStart()
    {
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
            var first = text.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries)[0];
            var start = int.Parse(first, CultureInfo.InvariantCulture);
            return start > LowestPort + 1000 ? start : FallbackEphemeralStart;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return FallbackEphemeralStart;
        }
    }

    /// <summary>Waits until something accepts connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task WaitUntilOpenAsync(int port, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (SocketException ex)
            {
                throw new TimeoutException($"{what} did not open port {port} within {timeout.TotalSeconds:0} s.", ex);
            }
        }
    }
}
