using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Irrigation.Benchmarks;

/// <summary>
/// Telemetry payloads in the gateway's format (docs/mqtt.md): the load generator's message (Irrigation.Benchmarks mqtt-load:
/// the same keys, units, levels and header) and a 2-pump station snapshot as a real gateway publishes it.
/// </summary>
public static class TelemetrySamples
{
    /// <summary>As the gateway writes JSON (src/Irrigation.Gateway/JsonWriting.cs): UTF-8 text left unescaped.</summary>
    private static readonly JsonWriterOptions GatewayWriter = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The station-wide quantities of firmware-sim's MqttLoadGenerator, in its order.</summary>
    private static readonly (string Name, string Unit, double Level)[] LoadValues =
    [
        ("voltage_a", "V", 230), ("voltage_b", "V", 230), ("voltage_c", "V", 230),
        ("current_a", "A", 21), ("current_b", "A", 21), ("current_c", "A", 21),
        ("active_power", "W", 12_000), ("power_factor", "", 0.85), ("frequency", "Hz", 50),
        ("forward_energy", "kWh", 10_042), ("sump_level", "m", 110), ("outlet_pressure", "MPa", 111),
        ("flow_rate", "m3/h", 112), ("flow_total", "m3", 113), ("voltage_ab", "V", 114),
    ];

    /// <summary>A DTSU666 meter and the pump controller's station-wide quantities (profiles/): 20 values.</summary>
    private static readonly (string Name, string Unit, double Value)[] StationValues =
    [
        ("voltage_ab", "V", 398.2), ("voltage_bc", "V", 399.1), ("voltage_ca", "V", 397.6),
        ("voltage_a", "V", 229.8), ("voltage_b", "V", 230.4), ("voltage_c", "V", 229.1),
        ("current_a", "A", 21.4), ("current_b", "A", 21.9), ("current_c", "A", 21.2),
        ("active_power", "W", 12410.5), ("power_factor", "", 0.86), ("frequency", "Hz", 50.01),
        ("forward_energy", "kWh", 182734.25), ("mains_present", "", 1), ("remote_mode", "", 1), ("door_open", "", 0),
        ("sump_level", "m", 2.37), ("outlet_pressure", "MPa", 0.412), ("flow_rate", "m3/h", 186.4), ("flow_total", "m3", 918273.4),
    ];

    /// <summary>The controller's per-pump quantities: 8 per pump.</summary>
    private static readonly (string Name, string Unit, double Value)[] PumpValues =
    [
        ("running", "", 1), ("fault", "", 0), ("fault_overcurrent", "", 0), ("fault_phase_loss", "", 0),
        ("fault_dry_run", "", 0), ("motor_current", "A", 21.4), ("starts", "", 1843), ("run_hours", "h", 12873.52),
    ];

    /// <summary>A message as Irrigation.Benchmarks mqtt-load publishes it: <paramref name="values"/> station-wide values, no pumps.</summary>
    public static byte[] LoadMessage(string station, long seq, long ts, int values, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteHeader(json, station, "load", "load-gen", seq, ts, controller: false);
            json.WriteStartObject("values");
            for (var i = 0; i < values; i++)
            {
                var (name, unit, level) = i < LoadValues.Length ? LoadValues[i] : ($"extra_{i}", "", 100 + i);
                WriteValue(json, name, Math.Round(level * (0.99 + (random.NextDouble() * 0.02)), 3), unit);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A 2-pump station's snapshot: 20 station-wide values and 8 per pump, 36 in all, with a non-ASCII site.</summary>
    public static byte[] PumpStationSnapshot(string station, long seq, long ts)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(buffer, GatewayWriter))
        {
            WriteHeader(json, station, "城东镇", "gw-01", seq, ts, controller: true);
            json.WriteStartObject("values");
            foreach (var (name, unit, value) in StationValues)
                WriteValue(json, name, value, unit);
            for (var pump = 1; pump <= 2; pump++)
            {
                foreach (var (name, unit, value) in PumpValues)
                    WriteValue(json, $"pump{pump}.{name}", value + pump - 1, unit);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteHeader(Utf8JsonWriter json, string station, string site, string gateway, long seq, long ts, bool controller)
    {
        json.WriteStartObject();
        json.WriteNumber("v", 1);
        json.WriteString("station", station);
        json.WriteString("site", site);
        json.WriteString("gateway", gateway);
        json.WriteNumber("seq", seq);
        json.WriteNumber("ts", ts);
        json.WriteString("kind", "snapshot");
        json.WriteBoolean("replayed", false);
        json.WriteString("quality", "good");
        json.WriteStartObject("devices");
        json.WriteString("meter", "good");
        if (controller)
            json.WriteString("controller", "good");
        json.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter json, string name, double value, string unit)
    {
        json.WriteStartObject(name);
        json.WriteNumber("v", value);
        json.WriteString("u", unit);
        json.WriteEndObject();
    }
}
