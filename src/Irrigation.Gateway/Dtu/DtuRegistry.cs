using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Irrigation.Gateway.Dtu;

/// <summary>
/// The connections DTUs have opened to the gateway, by DTU id. The Modbus client of a DTU station takes the
/// latest connection; a DTU that reconnects replaces its old one.
/// </summary>
public sealed class DtuRegistry
{
    private readonly ConcurrentDictionary<string, Stream> _fresh = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);

    /// <summary>Known DTU ids (configured stations); connections from others are refused.</summary>
    public HashSet<string> Known { get; } = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, DateTimeOffset> LastSeen => _lastSeen;

    /// <summary>Awaited before a new connection is made available, so the DTU's client drops a stale one first.</summary>
    public Func<string, Task>? BeforeRegister { get; set; }

    /// <summary>Offers a newly registered connection; an older unused one for the same id is closed.</summary>
    public async Task OfferAsync(string dtuId, Stream stream, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _lastSeen[dtuId] = now;
        if (BeforeRegister is { } beforeRegister)
            await beforeRegister(dtuId);
        if (_fresh.TryRemove(dtuId, out var old))
            await old.DisposeAsync();
        _fresh[dtuId] = stream;
    }

    /// <summary>
    /// Hands the latest registered connection to the Modbus client, or fails fast when the DTU is not connected
    /// (the client counts it as a connection failure and backs off).
    /// </summary>
    public ValueTask<Stream> TakeAsync(string dtuId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_fresh.TryRemove(dtuId, out var stream))
            return ValueTask.FromResult(stream);
        throw new SocketException((int)SocketError.NotConnected);
    }
}
