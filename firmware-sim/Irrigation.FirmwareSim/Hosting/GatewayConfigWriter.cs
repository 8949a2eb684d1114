using System.Text.Json;
using System.Text.Json.Nodes;

namespace Irrigation.FirmwareSim.Hosting;

/// <summary>
/// Writes a gateway configuration (docs/gateway.md) that polls every simulated station — a convenience for
/// run.sh, tests and benchmarks, so the simulator's ports and unit ids never have to be typed by hand.
/// </summary>
public static class GatewayConfigWriter
{
    private static readonly string[] Towns = ["城东镇", "城西镇", "新塘镇", "长乐镇", "石门镇", "临浦镇"];

    /// <summary>A Modbus meter shares the station's link at its unit id; a DL/T 645 meter has its own link and its address.</summary>
    private static JsonObject Meter(SimulatorOptions options, Stations.SimulatedStation station, StationEndpoint endpoint, JsonObject meterOptions)
    {
        if (endpoint.MeterAddress is not { } address)
            return new JsonObject { ["profile"] = options.MeterProfile, ["unitId"] = station.MeterUnitId, ["options"] = meterOptions };
        return new JsonObject
        {
            ["profile"] = options.MeterProfile,
            ["address"] = address,
            ["options"] = meterOptions,
            ["endpoint"] = endpoint.MeterDtuId is { } dtuId
                ? new JsonObject { ["type"] = "dtu", ["dtuId"] = dtuId }
                : new JsonObject { ["type"] = "tcp", ["host"] = endpoint.MeterEndpoint!.Address.ToString(), ["port"] = endpoint.MeterEndpoint.Port },
        };
    }

    public static void Write(string path, SimulatorOptions options, SimulatorHost host, string mqttEndpoint, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(host);
        var (mqttHost, mqttPort) = mqttEndpoint.Split(':') is [var h, var p] && int.TryParse(p, out var port) ? (h, port) : ("127.0.0.1", 1883);
        var stations = new JsonArray();
        for (var i = 0; i < host.Stations.Count; i++)
        {
            var station = host.Stations[i];
            var endpoint = host.Endpoints[i];
            var meterOptions = new JsonObject();
            foreach (var (name, choice) in options.MeterOptions)
                meterOptions[name] = choice;
            stations.Add(new JsonObject
            {
                ["id"] = station.Id,
                ["name"] = $"仿真机埠 {i + 1:000}",
                ["site"] = Towns[i % Towns.Length],
                ["endpoint"] = options.DtuEndpoint is null
                    ? new JsonObject { ["type"] = "tcp", ["host"] = endpoint.Endpoint!.Address.ToString(), ["port"] = endpoint.Endpoint.Port, ["framing"] = options.Framing }
                    : new JsonObject { ["type"] = "dtu", ["dtuId"] = station.Id },
                ["pollInterval"] = "00:00:01",
                ["meter"] = Meter(options, station, endpoint, meterOptions),
                ["controller"] = new JsonObject { ["profile"] = options.ControllerProfile, ["unitId"] = station.ControllerUnitId, ["pumps"] = station.Model.Pumps.Count },
            });
        }

        var config = new JsonObject
        {
            ["id"] = "gw-01",
            ["topicRoot"] = "irrigation",
            ["profilesDirectory"] = Path.GetFullPath(options.ProfilesDirectory),
            ["dataDirectory"] = dataDirectory,
            ["mqtt"] = new JsonObject { ["host"] = mqttHost, ["port"] = mqttPort },
            ["stations"] = stations,
        };
        if (options.DtuEndpoint is { } dtu)
        {
            var parts = dtu.Split(':');
            config["dtuListener"] = new JsonObject { ["host"] = parts[0], ["port"] = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) };
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }
}
