using Irrigation.Server.Alarms;
using Irrigation.Server.State;
using Irrigation.Sl651.Framing;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Uplink;

/// <summary>
/// An alarm raised at a reported station queues a 33H additional report (§6.6.4.6: "遥测站状态及报警信息") with the
/// station's values at that moment. Called under the alarm engine's lock: it only appends to the queue in the server database (one short transaction).
/// </summary>
public sealed class UplinkAlarmReports : IAlarmEventListener
{
    private readonly UplinkStations _stations;
    private readonly StationRegistry _registry;
    private readonly LatestValueCache _cache;
    private readonly UplinkOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<UplinkAlarmReports> _logger;

    public UplinkAlarmReports(UplinkStations stations, StationRegistry registry, LatestValueCache cache, IOptions<UplinkOptions> options, TimeProvider time, ILogger<UplinkAlarmReports> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _stations = stations;
        _registry = registry;
        _cache = cache;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public void OnAlarmEvent(string @event, AlarmView alarm)
    {
        ArgumentNullException.ThrowIfNull(alarm);
        if (@event != "raised" || _stations.Find(alarm.Station) is not { } station || _registry.Find(alarm.Station) is not { } entry)
            return;
        var sent = StationClock.Now(_time, _options.UtcOffset);
        var observed = StationClock.At(alarm.RaisedAt, _options.UtcOffset);
        var snapshot = _cache.Snapshot(entry);
        Sl651.Messages.Sl651Message? report;
        try
        {
            report = station.Enqueue(serial => UplinkReports.Observation(Sl651FunctionCode.Additional, serial, sent, observed, station.Header.Station, snapshot, station.Options,
                skipped => _logger.LogWarning("SL 651 uplink {Station}: left out {Skipped}.", station.Id, skipped)));
        }
        catch (System.Data.Common.DbException ex)
        {
            _logger.LogError("SL 651 uplink {Station}: additional report for alarm {Alarm} not queued, the server database failed ({Reason}).", station.Id, alarm.Id, ex.Message);
            return;
        }

        if (report is not null)
            _logger.LogInformation("SL 651 uplink {Station}: additional report {Serial} queued for alarm {Alarm} ({Rule}).", station.Id, report.Serial, alarm.Id, alarm.Rule);
        else
            _logger.LogError("SL 651 uplink {Station}: queue full; additional report for alarm {Alarm} refused.", station.Id, alarm.Id);
    }
}

/// <summary>The station clock the frames carry: local time at the configured offset (Beijing), no kind.</summary>
public static class StationClock
{
    public static DateTime Now(TimeProvider time, TimeSpan offset)
    {
        ArgumentNullException.ThrowIfNull(time);
        return DateTime.SpecifyKind(time.GetUtcNow().ToOffset(offset).DateTime, DateTimeKind.Unspecified);
    }

    public static DateTime At(long unixMs, TimeSpan offset) =>
        DateTime.SpecifyKind(DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToOffset(offset).DateTime, DateTimeKind.Unspecified);
}
