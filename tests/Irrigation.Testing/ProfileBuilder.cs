using System.Text.Json;
using System.Text.Json.Nodes;

namespace Irrigation.Testing;

/// <summary>
/// A valid device profile as JSON, changed in one place per test: a test says what is wrong with the profile
/// (<c>.Set("pumps.control.stopCoil", 3)</c>) instead of copying twenty lines of a good one around the mistake.
/// Paths are dot-separated member names; numbers in a path index arrays (<c>quantities.0.address</c>).
/// </summary>
public sealed class ProfileBuilder
{
    private readonly JsonObject _root;

    private ProfileBuilder(string json) => _root = JsonNode.Parse(json)!.AsObject();

    /// <summary>A meter with one quantity, <c>voltage_a</c> at holding register 0.</summary>
    public static ProfileBuilder Meter() => new("""
        { "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
          "quantities": [ { "name": "voltage_a", "address": 0 } ] }
        """);

    /// <summary>
    /// A pump controller: <c>remote_mode</c> at bit 0 of register 0; two pumps 10 registers and 8 coils apart, each
    /// with <c>running</c> and <c>fault</c> (bits 0 and 1 of register 10), started and stopped by coils 0 and 1.
    /// </summary>
    public static ProfileBuilder PumpController() => new("""
        { "id": "bad", "manufacturer": "m", "model": "x", "kind": "PumpController",
          "quantities": [ { "name": "remote_mode", "address": 0, "type": "Bit", "bit": 0 } ],
          "pumps": {
            "maxPumps": 2, "registerStride": 10, "coilStride": 8,
            "quantities": [
              { "name": "running", "address": 10, "type": "Bit", "bit": 0 },
              { "name": "fault", "address": 10, "type": "Bit", "bit": 1 }
            ],
            "control": { "mode": "CoilPulse", "startCoil": 0, "stopCoil": 1 },
            "feedback": { "running": "running", "fault": "fault" } } }
        """);

    /// <summary>
    /// A pump controller for alarm rules: <c>sump_level</c> (m) at register 1; pumps 10 registers apart with
    /// <c>running</c>, <c>fault</c>, <c>motor_current</c> and <c>rated_current</c> (A), current feedback included.
    /// </summary>
    public static ProfileBuilder PumpControllerWithCurrents() => new("""
        { "id": "ctl", "manufacturer": "m", "model": "x", "kind": "PumpController",
          "quantities": [ { "name": "sump_level", "address": 1, "scale": 0.01, "unit": "m" } ],
          "pumps": {
            "registerStride": 10,
            "quantities": [
              { "name": "running", "address": 10, "type": "Bit", "bit": 0 },
              { "name": "fault", "address": 10, "type": "Bit", "bit": 1 },
              { "name": "motor_current", "address": 11, "scale": 0.1, "unit": "A" },
              { "name": "rated_current", "address": 16, "scale": 0.1, "unit": "A" }
            ],
            "control": { "mode": "CoilPulse", "startCoil": 0, "stopCoil": 1 },
            "feedback": { "running": "running", "fault": "fault", "current": "motor_current" } } }
        """);

    /// <summary>Sets the member at <paramref name="path"/> (created when missing) to a value or to JSON text given as <see cref="JsonNode"/>.</summary>
    public ProfileBuilder Set(string path, object? value)
    {
        var (parent, name) = Parent(path);
        var node = value switch
        {
            null => null,
            JsonNode json => json,
            _ => JsonSerializer.SerializeToNode(value),
        };
        if (parent is JsonArray array)
        {
            var index = int.Parse(name, System.Globalization.CultureInfo.InvariantCulture);
            if (index == array.Count)
                array.Add(node); // one past the end appends
            else
                array[index] = node;
        }
        else
            parent.AsObject()[name] = node;
        return this;
    }

    /// <summary>Sets <paramref name="path"/> to the JSON <paramref name="json"/> (an object, an array …).</summary>
    public ProfileBuilder SetJson(string path, string json) => Set(path, JsonNode.Parse(json));

    /// <summary>Removes the member at <paramref name="path"/>.</summary>
    public ProfileBuilder Remove(string path)
    {
        var (parent, name) = Parent(path);
        parent.AsObject().Remove(name);
        return this;
    }

    public override string ToString() => _root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private (JsonNode Parent, string Name) Parent(string path)
    {
        var parts = path.Split('.');
        JsonNode node = _root;
        foreach (var part in parts[..^1])
        {
            node = node is JsonArray array
                ? array[int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)]!
                : node.AsObject()[part] ??= new JsonObject();
        }

        return (node, parts[^1]);
    }
}
