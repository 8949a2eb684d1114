using System.Collections.Concurrent;
using Irrigation.Server.Commands;

namespace Irrigation.Server.Alarms;

/// <summary>The last command a station's gateway refused as forged, for the forged_command rule.</summary>
public sealed class ForgedCommands : IForgedCommandListener
{
    private readonly ConcurrentDictionary<string, (long AtMs, string Gateway)> _last = new(StringComparer.Ordinal);

    public void Forged(string station, string gateway, long atMs) => _last[station] = (atMs, gateway);

    /// <summary>Seconds since the station's last forged command and its gateway; null when there was none.</summary>
    public (double AgoSeconds, string Gateway)? Last(string station, long nowMs) =>
        _last.TryGetValue(station, out var last) ? ((nowMs - last.AtMs) / 1000.0, last.Gateway) : null;
}
