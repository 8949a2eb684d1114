namespace Irrigation.Contracts;

/// <summary>What a topic carries.</summary>
public enum TopicKind
{
    Telemetry,
    StationStatus,
    GatewayStatus,
    Command,
    CommandResult,
    RepairRequest,
    RepairResult,
    PlanSet,
    PlanApplied,
}

/// <summary>
/// Every topic and filter the gateway and the server use (docs/mqtt.md). <c>root</c> is one topic level
/// (<c>irrigation</c> by default); station and gateway ids are one level each.
/// </summary>
public static class Topics
{
    public const string DefaultRoot = "irrigation";

    private const string TelemetryLevel = "telemetry";
    private const string StatusLevel = "status";
    private const string CommandLevel = "cmd";
    private const string ResultLevel = "result";
    private const string GatewaysLevel = "gateways";
    private const string RepairLevel = "repair";
    private const string PlanLevel = "plan";
    private const string AppliedLevel = "applied";
    private const string TimeLevel = "time";

    /// <summary>{root}/{station}/telemetry — QoS 1, from the gateway's outbox.</summary>
    public static string Telemetry(string root, string station) => $"{root}/{station}/{TelemetryLevel}";

    /// <summary>{root}/{station}/status — QoS 1, retained.</summary>
    public static string StationStatus(string root, string station) => $"{root}/{station}/{StatusLevel}";

    /// <summary>{root}/gateways/{gateway}/status — QoS 1, retained; also the gateway's Last Will.</summary>
    public static string GatewayStatus(string root, string gateway) => $"{root}/{GatewaysLevel}/{gateway}/{StatusLevel}";

    /// <summary>{root}/{station}/cmd — QoS 1, from the server only.</summary>
    public static string Command(string root, string station) => $"{root}/{station}/{CommandLevel}";

    /// <summary>{root}/{station}/cmd/result — QoS 1, from the gateway.</summary>
    public static string CommandResult(string root, string station) => $"{root}/{station}/{CommandLevel}/{ResultLevel}";

    /// <summary>{root}/gateways/{gateway}/repair — QoS 1, from the server only: publish these sequence numbers again.</summary>
    public static string RepairRequest(string root, string gateway) => $"{root}/{GatewaysLevel}/{gateway}/{RepairLevel}";

    /// <summary>{root}/gateways/{gateway}/repair/result — QoS 1, from the gateway: what it republished and what its history lacks.</summary>
    public static string RepairResult(string root, string gateway) => $"{root}/{GatewaysLevel}/{gateway}/{RepairLevel}/{ResultLevel}";

    public static string AllRepairResults(string root) => RepairResult(root, "+");

    /// <summary>{root}/gateways/{gateway}/plan — QoS 1, retained, from the server only: the signed plan set the gateway runs.</summary>
    public static string PlanSet(string root, string gateway) => $"{root}/{GatewaysLevel}/{gateway}/{PlanLevel}";

    /// <summary>{root}/gateways/{gateway}/plan/applied — QoS 1, retained, from the gateway: the plan version it runs, or why it refused one.</summary>
    public static string PlanApplied(string root, string gateway) => $"{root}/{GatewaysLevel}/{gateway}/{PlanLevel}/{AppliedLevel}";

    public static string AllPlanApplied(string root) => PlanApplied(root, "+");

    /// <summary>{root}/time — QoS 0, from the server every 30 s: its clock, so gateways can tell whether theirs is right before running plans.</summary>
    public static string ServerTime(string root) => $"{root}/{TimeLevel}";

    /// <summary>Every topic under the root (the server's read right in the broker ACL).</summary>
    public static string Everything(string root) => $"{root}/#";

    public static string AllTelemetry(string root) => Telemetry(root, "+");

    /// <summary>The telemetry of every station, split between the members of a shared-subscription group.</summary>
    public static string SharedTelemetry(string root, string group) => $"$share/{group}/{AllTelemetry(root)}";

    public static string AllStationStatus(string root) => StationStatus(root, "+");

    public static string AllGatewayStatus(string root) => GatewayStatus(root, "+");

    public static string AllCommands(string root) => Command(root, "+");

    public static string AllCommandResults(string root) => CommandResult(root, "+");

    /// <summary>
    /// Reads a topic under <paramref name="root"/>: what it carries and the station (or gateway) id, as a range of the
    /// topic (no allocation). False for anything else.
    /// </summary>
    public static bool TryParse(string root, ReadOnlySpan<char> topic, out TopicKind kind, out Range id)
    {
        ArgumentNullException.ThrowIfNull(root);
        kind = default;
        id = default;
        if (topic.Length <= root.Length + 1 || !topic.StartsWith(root, StringComparison.Ordinal) || topic[root.Length] != '/')
            return false;
        var start = root.Length + 1;
        var rest = topic[start..];
        var slash = rest.IndexOf('/');
        if (slash <= 0)
            return false;
        var first = rest[..slash];
        var tail = rest[(slash + 1)..];
        if (first.SequenceEqual(GatewaysLevel))
        {
            var end = tail.IndexOf('/');
            var after = end > 0 ? tail[(end + 1)..] : [];
            TopicKind? gatewayKind = after.SequenceEqual(StatusLevel) ? TopicKind.GatewayStatus
                : after.SequenceEqual(RepairLevel) ? TopicKind.RepairRequest
                : after.SequenceEqual($"{RepairLevel}/{ResultLevel}") ? TopicKind.RepairResult
                : after.SequenceEqual(PlanLevel) ? TopicKind.PlanSet
                : after.SequenceEqual($"{PlanLevel}/{AppliedLevel}") ? TopicKind.PlanApplied
                : null;
            if (gatewayKind is { } k)
            {
                kind = k;
                id = new Range(start + slash + 1, start + slash + 1 + end);
                return true;
            }
        }

        id = new Range(start, start + slash);
        if (tail.SequenceEqual(TelemetryLevel))
            kind = TopicKind.Telemetry;
        else if (tail.SequenceEqual(StatusLevel))
            kind = TopicKind.StationStatus;
        else if (tail.SequenceEqual(CommandLevel))
            kind = TopicKind.Command;
        else if (tail.SequenceEqual($"{CommandLevel}/{ResultLevel}"))
            kind = TopicKind.CommandResult;
        else
            return false;
        return true;
    }
}
