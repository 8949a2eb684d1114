using Microsoft.Extensions.Options;

namespace Irrigation.Server.State;

/// <summary>Whether a station is live: its gateway reports it online and its telemetry is fresh (<see cref="ApiOptions.StaleAfter"/>).</summary>
public sealed class StationLiveness
{
    private readonly ApiOptions _options;
    private readonly TimeProvider _time;

    public StationLiveness(IOptions<ApiOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
    }

    /// <summary>No telemetry ever, or none for longer than StaleAfter.</summary>
    public bool IsStale(StationSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return snapshot.LastTelemetryMs == 0 || _time.GetUtcNow().ToUnixTimeMilliseconds() - snapshot.LastTelemetryMs > _options.StaleAfter.TotalMilliseconds;
    }

    public bool IsOnline(StationSnapshot snapshot) => snapshot?.Status == StationStatus.Online && !IsStale(snapshot);
}
