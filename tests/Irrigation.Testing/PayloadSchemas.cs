using System.Text.Json;
using Json.Schema;

namespace Irrigation.Testing;

/// <summary>The documented MQTT payload schemas (docs/schemas/*.json), for checking what real processes publish.</summary>
public static class PayloadSchemas
{
    public const string Telemetry = "telemetry";
    public const string StationStatus = "status";
    public const string GatewayStatus = "gateway-status";
    public const string Command = "command";
    public const string CommandResult = "command-result";
    public const string PlanSet = "plan-set";
    public const string PlanApplied = "plan-applied";

    // Each schema has its own $id, which JsonSchema.Net registers globally: built once per test process.
    private static readonly Lazy<IReadOnlyDictionary<string, JsonSchema>> Schemas = new(() =>
        new[] { Telemetry, StationStatus, GatewayStatus, Command, CommandResult, PlanSet, PlanApplied }.ToDictionary(
            name => name,
            name => JsonSchema.FromText(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "schemas", $"{name}.schema.json")))));

    /// <summary>The schema violations of <paramref name="payload"/> ("" when it is valid), each with where it is.</summary>
    public static string Violations(string schema, ReadOnlySpan<byte> payload)
    {
        using var document = JsonDocument.Parse(payload.ToArray());
        var result = Schemas.Value[schema].Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
            return "";
        return string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key} {e.Value}")));
    }
}
