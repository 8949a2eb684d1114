using Irrigation.Contracts;
using System.Text;

namespace Irrigation.Server.State;

/// <summary>The newest value of one quantity.</summary>
public sealed class LatestValue
{
    public double Value { get; internal set; }

    public long TimestampMs { get; internal set; }
}

/// <summary>Per-station state the API reads: latest values, when data last arrived, and communication status.</summary>
public sealed class StationState
{
    internal readonly Lock Sync = new();
    internal readonly Dictionary<string, LatestValue> Values = new(StringComparer.Ordinal);
    internal Dictionary<string, LatestValue>.AlternateLookup<ReadOnlySpan<char>> ByChars;

    public StationState() => ByChars = Values.GetAlternateLookup<ReadOnlySpan<char>>();

    public long LastTelemetryMs { get; internal set; }

    public int LastQuality { get; internal set; } = -1;

    /// <summary>From the retained status topic: whether the gateway reaches the station's devices; null before it was heard.</summary>
    public StationLink? Link { get; internal set; }

    public string? Gateway { get; internal set; }

    public long StatusSinceMs { get; internal set; }
}

/// <summary>A copy of one station's state, safe to serialise.</summary>
public sealed record StationSnapshot(string Id, string Name, string Site, StationStatus Status, string? Gateway, long LastTelemetryMs, int LastQuality, IReadOnlyDictionary<string, (double Value, long TimestampMs)> Values);

/// <summary>
/// Latest value per station and quantity, updated by the ingest loop without allocating once a quantity has
/// been seen (look-ups by span), read by the API as snapshots. Older timestamps (replayed data) never
/// overwrite newer values.
/// </summary>
public sealed class LatestValueCache
{
    private readonly StationRegistry _stations;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, GatewayState> _gatewayStates = new(StringComparer.Ordinal);

    public LatestValueCache(StationRegistry stations) => _stations = stations;

    internal void Update(StationEntry station, ReadOnlySpan<byte> utf8Key, double value, long timestampMs)
    {
        Span<char> key = stackalloc char[Math.Min(utf8Key.Length, 128)];
        var length = Encoding.UTF8.GetChars(utf8Key[..key.Length], key);
        key = key[..length];
        var state = station.State;
        lock (state.Sync)
        {
            if (!state.ByChars.TryGetValue(key, out var latest))
            {
                latest = new LatestValue();
                state.Values[new string(key)] = latest;
            }

            if (timestampMs >= latest.TimestampMs)
            {
                latest.Value = value;
                latest.TimestampMs = timestampMs;
            }
        }
    }

    /// <summary>A value read back at start-up; never replaces a newer one.</summary>
    internal void Seed(StationEntry station, string key, double value, long timestampMs) =>
        Update(station, Encoding.UTF8.GetBytes(key), value, timestampMs);

    internal static void Seen(StationEntry station, long timestampMs, int quality)
    {
        var state = station.State;
        lock (state.Sync)
        {
            if (timestampMs >= state.LastTelemetryMs)
            {
                state.LastTelemetryMs = timestampMs;
                state.LastQuality = quality;
            }
        }
    }

    /// <summary>Applies a retained station status message.</summary>
    public void UpdateStatus(string stationId, StationLink link, string? gateway, long sinceMs)
    {
        if (_stations.Find(Encoding.UTF8.GetBytes(stationId)) is not { } station)
            return;
        lock (station.State.Sync)
        {
            station.State.Link = link;
            station.State.Gateway = gateway;
            station.State.StatusSinceMs = sinceMs;
        }
    }

    /// <summary>Applies a gateway status (online/offline, from its Last Will).</summary>
    public void UpdateGateway(string gateway, GatewayState state) => _gatewayStates[gateway] = state;

    public IReadOnlyList<StationSnapshot> Snapshot()
    {
        var list = new List<StationSnapshot>();
        foreach (var station in _stations.All.OrderBy(s => s.Id, StringComparer.Ordinal))
            list.Add(Snapshot(station));
        return list;
    }

    public StationSnapshot Snapshot(StationEntry station)
    {
        ArgumentNullException.ThrowIfNull(station);
        var s = station.State;
        lock (s.Sync)
        {
            var status = s.Gateway is { } gw && _gatewayStates.TryGetValue(gw, out var g) && g == GatewayState.Offline ? StationStatus.Offline
                : s.Link switch { StationLink.Online => StationStatus.Online, StationLink.CommsLost => StationStatus.CommsLost, _ => StationStatus.Unknown };
            return new StationSnapshot(station.Id, station.Name, station.Site, status, s.Gateway, s.LastTelemetryMs, s.LastQuality,
                s.Values.ToDictionary(kv => kv.Key, kv => (kv.Value.Value, kv.Value.TimestampMs), StringComparer.Ordinal));
        }
    }
}
