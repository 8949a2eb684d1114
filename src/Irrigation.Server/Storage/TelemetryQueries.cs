using System.Globalization;

namespace Irrigation.Server.Storage;

/// <summary>
/// The InfluxQL the server reads telemetry with, in one place beside the schema (<see cref="InfluxSchema"/>): features
/// ask for what they need and parse the result; none writes a query of its own. <c>$station</c> is a bound parameter.
/// </summary>
public static class TelemetryQueries
{
    /// <summary>Measurements of raw telemetry (<c>docs/influx-schema.md</c>).</summary>
    public const string StationMeasurement = "station";
    public const string PumpMeasurement = "pump";

    /// <summary>Daily accounts, one point per station, pump (0 = the station) and Beijing day, in <see cref="InfluxSchema.HourPolicy"/>.</summary>
    public const string EnergyDailyMeasurement = "energy_daily";

    /// <summary>Newest message sequence number per station over the last <paramref name="hours"/>: which stations have recent data, and when.</summary>
    public static string NewestSequencePerStation(long hours) =>
        string.Create(CultureInfo.InvariantCulture, $"SELECT last(\"seq\") FROM \"{InfluxSchema.RawPolicy}\".\"{StationMeasurement}\" WHERE time > now() - {hours}h GROUP BY \"station\"");

    /// <summary>Last value of every field of <paramref name="measurement"/> per station (and pump) over the last <paramref name="hours"/>.</summary>
    public static string LastValues(string measurement, long hours) =>
        string.Create(CultureInfo.InvariantCulture,
            $"SELECT last(*) FROM \"{InfluxSchema.RawPolicy}\".\"{measurement}\" WHERE time > now() - {hours}h GROUP BY {(measurement == PumpMeasurement ? "\"station\", \"pump\"" : "\"station\"")}");

    /// <summary>Station ids that have telemetry in InfluxDB (column <c>value</c>).</summary>
    public const string StationIds = "SHOW TAG VALUES FROM \"station\" WITH KEY = \"station\"";

    /// <summary>
    /// One station's meter counters and pump signals in [<paramref name="fromMs"/>, <paramref name="endMs"/>), each preceded
    /// by its last reading since <paramref name="lookbackMs"/> (the baseline), as statements 0..7:
    /// 0 last forward_energy before, 1 last flow_total before, 2 forward_energy and flow_total in the window,
    /// 3..6 last running, starts, run_hours, motor_current before (by pump), 7 those four in the window (by pump).
    /// </summary>
    public static string AccountingReadings(long lookbackMs, long fromMs, long endMs)
    {
        var window = string.Create(CultureInfo.InvariantCulture, $"\"station\" = $station AND time >= {fromMs}ms AND time < {endMs}ms");
        var before = string.Create(CultureInfo.InvariantCulture, $"\"station\" = $station AND time >= {lookbackMs}ms AND time < {fromMs}ms");
        string station = $"\"{InfluxSchema.RawPolicy}\".\"{StationMeasurement}\"", pump = $"\"{InfluxSchema.RawPolicy}\".\"{PumpMeasurement}\"";
        string[] statements =
        [
            $"SELECT last(\"forward_energy\") FROM {station} WHERE {before}",
            $"SELECT last(\"flow_total\") FROM {station} WHERE {before}",
            $"SELECT \"forward_energy\", \"flow_total\" FROM {station} WHERE {window}",
            $"SELECT last(\"running\") AS \"running\" FROM {pump} WHERE {before} GROUP BY \"pump\"",
            $"SELECT last(\"starts\") AS \"starts\" FROM {pump} WHERE {before} GROUP BY \"pump\"",
            $"SELECT last(\"run_hours\") AS \"run_hours\" FROM {pump} WHERE {before} GROUP BY \"pump\"",
            $"SELECT last(\"motor_current\") AS \"motor_current\" FROM {pump} WHERE {before} GROUP BY \"pump\"",
            $"SELECT \"running\", \"starts\", \"run_hours\", \"motor_current\" FROM {pump} WHERE {window} GROUP BY \"pump\"",
        ];
        return string.Join("; ", statements);
    }

    /// <summary>One station's stored daily accounts (<c>$station</c>) in [<paramref name="fromMs"/>, <paramref name="toMs"/>), by pump.</summary>
    public static string EnergyDays(long fromMs, long toMs) =>
        string.Create(CultureInfo.InvariantCulture,
            $"SELECT * FROM \"{InfluxSchema.HourPolicy}\".\"{EnergyDailyMeasurement}\" WHERE \"station\" = $station AND time >= {fromMs}ms AND time < {toMs}ms GROUP BY \"pump\"");

    /// <summary>
    /// What a report reads of one station (<c>$station</c>) in [<paramref name="fromMs"/>, <paramref name="toMs"/>), as
    /// statements 0..5, each per Beijing day where it says so, computed as the acceptance dashboard computes them
    /// (grafana/dashboards/acceptance.json; a test runs both on the same data):
    /// 0 daily accounts by pump; 1 the meter counter's highest reading per 15 minutes (from 15 minutes before, for the
    /// first increment); 2 messages stored per day; 3 messages recorded lost per day; 4 sum and count of the online
    /// samples per day; 5 each command's duration by outcome.
    /// </summary>
    public static string Report(long fromMs, long toMs)
    {
        var window = string.Create(CultureInfo.InvariantCulture, $"\"station\" = $station AND time >= {fromMs}ms AND time < {toMs}ms");
        var counterWindow = string.Create(CultureInfo.InvariantCulture, $"\"station\" = $station AND time >= {fromMs - 900_000}ms AND time < {toMs}ms");
        const string ByDay = "GROUP BY time(1d) tz('Asia/Shanghai')";
        string[] statements =
        [
            EnergyDays(fromMs, toMs),
            $"SELECT max(\"last_forward_energy\") FROM \"{InfluxSchema.MinutePolicy}\".\"{StationMeasurement}\" WHERE {counterWindow} GROUP BY time(15m)",
            $"SELECT sum(\"messages\") FROM \"{InfluxSchema.MinutePolicy}\".\"{StationMeasurement}\" WHERE {window} {ByDay}",
            $"SELECT sum(\"messages\") FROM \"{InfluxSchema.DataLossMeasurement}\" WHERE {window} {ByDay}",
            $"SELECT sum(\"online\"), count(\"online\") FROM \"station_status\" WHERE {window} {ByDay}",
            $"SELECT \"duration_ms\" FROM \"command\" WHERE {window} GROUP BY \"outcome\"",
        ];
        return string.Join("; ", statements);
    }
}
