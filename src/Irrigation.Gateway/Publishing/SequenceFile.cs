using System.Text.Json;
using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Polling;

namespace Irrigation.Gateway.Publishing;

/// <summary>
/// Per-station sequence numbers saved every minute and at shutdown. At start-up the gateway takes the larger
/// of this file and the outbox's newest message per station, so numbers keep rising across restarts.
/// </summary>
internal static class SequenceFile
{
    private static string PathOf(GatewayOptions options) => Path.Combine(options.DataDirectory, "sequences.json");

    public static Dictionary<string, long> Read(GatewayOptions options)
    {
        var path = PathOf(options);
        if (!File.Exists(path))
            return new Dictionary<string, long>();
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(path)) ?? new Dictionary<string, long>();
        }
        catch (JsonException)
        {
            return new Dictionary<string, long>(); // a torn file: the outbox scan still gives the newest numbers
        }
    }

    public static void Write(GatewayOptions options, IEnumerable<StationWorker> workers)
    {
        var path = PathOf(options);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(workers.ToDictionary(w => w.Station.Id, w => w.PublishState.Sequence)));
        File.Move(temp, path, overwrite: true);
    }
}
