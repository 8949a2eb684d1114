using Irrigation.Contracts;
using Irrigation.Server.State;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;
using Irrigation.Sl651.Values;

namespace Irrigation.Server.Uplink;

/// <summary>
/// Turns a station's latest values into SL 651 messages: what goes in the 32H timed report, the 33H additional report,
/// the 44H pump/motor data and the 4CH pump state. Pure functions of the snapshot and the mapping, tested alone.
/// </summary>
public static class UplinkReports
{
    /// <summary>The elements of table 55 (44H): three-phase voltages and currents.</summary>
    private static readonly HashSet<string> MotorCodes = new(StringComparer.OrdinalIgnoreCase) { "VTA", "VTB", "VTC", "VIA", "VIB", "VIC" };

    /// <summary>Pump numbers and running states from <c>pump{n}.running</c> values (1 = running).</summary>
    public static SortedDictionary<int, bool> PumpsRunning(StationSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var pumps = new SortedDictionary<int, bool>();
        foreach (var (key, value) in snapshot.Values)
        {
            if (PumpKeys.TryParse(key, out var pump, out var quantity) && quantity == "running")
                pumps[pump] = value.Value >= 0.5;
        }

        return pumps;
    }

    public static Sl651PumpStates PumpStates(StationSnapshot snapshot, int pumps)
    {
        var running = PumpsRunning(snapshot);
        var count = pumps > 0 ? pumps : Math.Max(1, running.Keys.DefaultIfEmpty(1).Max());
        return Sl651PumpStates.Of(count, n => running.TryGetValue(n, out var on) && on);
    }

    /// <summary>
    /// The status and alarm word (ZT, table 58) from what the server knows: pump stopped (bit 10) when no pump runs. The
    /// server has no door contact, so bit 7 is sent as "closed" (1) rather than claiming an open cabinet.
    /// </summary>
    public static Sl651StatusBits Status(StationSnapshot snapshot)
    {
        var bits = Sl651StatusBits.DoorClosed;
        if (!PumpsRunning(snapshot).Values.Any(on => on))
            bits |= Sl651StatusBits.PumpStopped;
        return bits;
    }

    /// <summary>Mapped values as elements, in mapping order; values missing, stale-less or not fitting their format are left out.</summary>
    public static List<Sl651Element> Elements(StationSnapshot snapshot, UplinkStationOptions station, Func<string, bool> include, Action<string>? skipped = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(station);
        var mapping = station.Elements.Count > 0 ? station.Elements : UplinkOptions.DefaultElements;
        var elements = new List<Sl651Element>();
        foreach (var (code, key) in mapping)
        {
            if (!include(code) || Sl651Elements.ByCode(code) is not { } definition || !snapshot.Values.TryGetValue(key, out var value))
                continue;
            var scaled = value.Value * (station.Scales.TryGetValue(code, out var factor) ? factor : UplinkOptions.DefaultScale(code, key));
            try
            {
                elements.Add(Sl651Element.Number(definition, (decimal)scaled));
            }
            catch (Exception ex) when (ex is ArgumentOutOfRangeException or OverflowException)
            {
                skipped?.Invoke($"{code} = {scaled} does not fit N({definition.Digits},{definition.Decimals})");
            }
        }

        return elements;
    }

    /// <summary>32H timed report (table 32) or 33H additional report (table 34): station elements, units running, status word.</summary>
    public static Sl651ObservationReport Observation(Sl651FunctionCode kind, ushort serial, DateTime sent, DateTime observed, Sl651StationAddress address, StationSnapshot snapshot, UplinkStationOptions station, Action<string>? skipped = null)
    {
        var elements = new List<Sl651Element>();
        if (kind == Sl651FunctionCode.Additional)
            elements.Add(Sl651Element.Status(Status(snapshot))); // the trigger: status and alarm information first
        elements.AddRange(Elements(snapshot, station, code => !MotorCodes.Contains(code), skipped));
        elements.Add(Sl651Element.Number(Sl651Elements.UnitsRunning, PumpsRunning(snapshot).Values.Count(on => on)));
        if (kind != Sl651FunctionCode.Additional)
            elements.Add(Sl651Element.Status(Status(snapshot)));
        return new Sl651ObservationReport(kind, serial, sent, address, Sl651ObservationReport.PumpStationCategory, Minute(observed), elements);
    }

    /// <summary>44H pump/motor real-time data (table 55).</summary>
    public static Sl651ObservationReport PumpRealTime(ushort serial, DateTime sent, Sl651StationAddress address, StationSnapshot snapshot, UplinkStationOptions station, Action<string>? skipped = null) =>
        new(Sl651FunctionCode.PumpRealTime, serial, sent, address, Sl651ObservationReport.PumpStationCategory, Minute(sent),
            Elements(snapshot, station, MotorCodes.Contains, skipped));

    private static DateTime Minute(DateTime time) => new(time.Year, time.Month, time.Day, time.Hour, time.Minute, 0, DateTimeKind.Unspecified);
}
