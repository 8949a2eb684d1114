using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Irrigation.Contracts;

/// <summary>How the steps of a plan follow each other (docs/plans.md).</summary>
public enum PlanMode
{
    /// <summary>轮灌: each step starts when the one before it has ended, plus the start gap.</summary>
    Rotation,

    /// <summary>同时: the steps run together, their starts spread by the start gap (no simultaneous inrush).</summary>
    Together,
}

/// <summary>One pump of one station run for a while, in its place in the plan.</summary>
public sealed record PlanStep(string Station, int Pump, int DurationSeconds);

/// <summary>
/// An irrigation plan (灌溉计划): on the days of week within the season, except skip dates, at <see cref="Start"/> Beijing
/// time, run the steps. Stored and versioned by the server, signed and delivered to each gateway that has one of its
/// stations, and run by the gateway itself (docs/plans.md).
/// </summary>
public sealed record IrrigationPlan(
    string Id,
    string Name,
    PlanMode Mode,
    DateOnly SeasonFrom,
    DateOnly SeasonTo,
    IReadOnlyList<int> Days,
    TimeOnly Start,
    int StartGapSeconds,
    IReadOnlyList<PlanStep> Steps)
{
    /// <summary>Dates (Beijing) on which the plan does not run: rain, maintenance.</summary>
    public IReadOnlyList<DateOnly> SkipDates { get; init; } = [];

    public bool Paused { get; init; }

    /// <summary>
    /// When false (the default) the plan does not start a pump an operator stopped within the gateway's hold time; the
    /// run is reported not executed with reason <see cref="ScheduleReasons.OperatorStopped"/>.
    /// </summary>
    public bool OverrideOperatorStop { get; init; }

    /// <summary>The plan's own revision (each edit adds one).</summary>
    public long Revision { get; init; } = 1;
}

/// <summary>
/// Every plan a gateway runs, as one signed, versioned message: retained on <c>{root}/gateways/{gateway}/plan</c>
/// (QoS 1, server only). <see cref="Version"/> only grows; a gateway never goes back to an older set, so an old signed
/// message replayed cannot bring back a deleted plan.
/// </summary>
public sealed record PlanSetMessage(string Gateway, long Version, long IssuedAtMs, IReadOnlyList<IrrigationPlan> Plans)
{
    public string? KeyId { get; init; }

    /// <summary>HMAC-SHA256 over <see cref="PlanSetPayload.Canonical"/>, base64url without padding.</summary>
    public string? Signature { get; init; }
}

/// <summary>The gateway's answer on <c>{root}/gateways/{gateway}/plan/applied</c> (QoS 1, retained).</summary>
public sealed record PlanAppliedMessage(string Gateway, long Version, string Status, string? Reason, string? Detail, long RunningVersion, bool ClockTrusted, string? ClockProblem, long Ts);

public static class PlanApplyStatus
{
    public const string Applied = "applied";
    public const string Refused = "refused";
}

/// <summary>Why a gateway refused a plan set.</summary>
public static class PlanRefusals
{
    public const string BadSignature = "bad_signature";
    public const string Invalid = "invalid_plan";
    public const string OldVersion = "old_version";
    public const string WrongGateway = "wrong_gateway";
}

/// <summary>Where a command came from: an operator (the default, not written) or a plan.</summary>
public static class CommandOrigins
{
    public const string Operator = "operator";
    public const string Schedule = "schedule";
}

/// <summary>Reasons for scheduled runs beside <see cref="CommandReasons"/>.</summary>
public static class ScheduleReasons
{
    /// <summary>The gateway's clock is not trustworthy: it runs no plan until it is.</summary>
    public const string ClockUntrusted = "clock_untrusted";

    /// <summary>An operator stopped this pump within the hold time, and the plan does not override it.</summary>
    public const string OperatorStopped = "operator_stopped";

    /// <summary>The start time passed while the gateway was not running (or too long ago to start late).</summary>
    public const string GatewayDown = "gateway_down";

    /// <summary>The pump was already running when the plan came to start it (started by hand): the plan leaves it alone.</summary>
    public const string AlreadyRunning = "already_running";

    /// <summary>A scheduled run ended early by an operator's stop command.</summary>
    public const string ManualStop = "manual_stop";

    /// <summary>The station's command queue was full when the plan came to start the pump.</summary>
    public const string Busy = "busy";
}

/// <summary>Writes, reads, signs and verifies plan sets. Reading never throws and never trusts a count.</summary>
public static class PlanSetPayload
{
    public const int MaxBytes = 256 * 1024;
    public const int MaxPlans = 500;
    public const int MaxSteps = 100;
    public const int MaxSkipDates = 366;
    public const int MaxDurationSeconds = 24 * 3600;
    public const int MaxStartGapSeconds = 6 * 3600;
    public const int MaxSeasonDays = 366;
    public const int MaxNameLength = 100;

    public static byte[] Write(PlanSetMessage set) => Write(set, signed: true);

    /// <summary>What the signature covers: the set as this contract writes it, without key id and signature.</summary>
    public static byte[] Canonical(PlanSetMessage set) => Write(set, signed: false);

    private static byte[] Write(PlanSetMessage set, bool signed)
    {
        ArgumentNullException.ThrowIfNull(set);
        return ContractJson.Object(512 + set.Plans.Count * 256, json =>
        {
            json.WriteString("kind"u8, "irrigation-plan-set-v1");
            json.WriteString("gateway"u8, set.Gateway);
            json.WriteNumber("version"u8, set.Version);
            json.WriteNumber("issuedAt"u8, set.IssuedAtMs);
            json.WriteStartArray("plans"u8);
            foreach (var plan in set.Plans)
                WritePlan(json, plan);
            json.WriteEndArray();
            if (signed && set.KeyId is not null)
                json.WriteString("keyId"u8, set.KeyId);
            if (signed && set.Signature is not null)
                json.WriteString("sig"u8, set.Signature);
        });
    }

    public static void WritePlan(Utf8JsonWriter json, IrrigationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(plan);
        json.WriteStartObject();
        json.WriteString("id"u8, plan.Id);
        json.WriteString("name"u8, plan.Name);
        json.WriteString("mode"u8, plan.Mode == PlanMode.Rotation ? "rotation" : "together");
        json.WriteString("seasonFrom"u8, plan.SeasonFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        json.WriteString("seasonTo"u8, plan.SeasonTo.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        json.WriteStartArray("days"u8);
        foreach (var day in plan.Days)
            json.WriteNumberValue(day);
        json.WriteEndArray();
        json.WriteString("start"u8, plan.Start.ToString("HH:mm:ss", CultureInfo.InvariantCulture));
        json.WriteNumber("startGapSeconds"u8, plan.StartGapSeconds);
        json.WriteStartArray("steps"u8);
        foreach (var step in plan.Steps)
        {
            json.WriteStartObject();
            json.WriteString("station"u8, step.Station);
            json.WriteNumber("pump"u8, step.Pump);
            json.WriteNumber("durationSeconds"u8, step.DurationSeconds);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("skipDates"u8);
        foreach (var date in plan.SkipDates)
            json.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        json.WriteEndArray();
        json.WriteBoolean("paused"u8, plan.Paused);
        json.WriteBoolean("overrideOperatorStop"u8, plan.OverrideOperatorStop);
        json.WriteNumber("revision"u8, plan.Revision);
        json.WriteEndObject();
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, out PlanSetMessage? set, out string? error) =>
        ContractJson.TryReadObject(payload, MaxBytes, root =>
        {
            if (ContractJson.Text(root, "kind") != "irrigation-plan-set-v1")
                return (null, "'kind' must be \"irrigation-plan-set-v1\"");
            var gateway = ContractJson.Text(root, "gateway");
            if (string.IsNullOrEmpty(gateway) || gateway.Length > 64)
                return (null, "'gateway' must be a string of 1..64 characters");
            if (!ContractJson.Integer(root, "version", out var version) || version < 1)
                return (null, "'version' must be a positive integer");
            if (!ContractJson.Integer(root, "issuedAt", out var issuedAt) || issuedAt < 1)
                return (null, "'issuedAt' must be Unix milliseconds");
            if (!root.TryGetProperty("plans", out var plansElement) || plansElement.ValueKind != JsonValueKind.Array)
                return (null, "'plans' must be an array");
            if (plansElement.GetArrayLength() > MaxPlans)
                return (null, $"at most {MaxPlans} plans");
            var plans = new List<IrrigationPlan>();
            foreach (var element in plansElement.EnumerateArray())
            {
                if (ReadPlan(element, out var problem) is not { } plan)
                    return (null, $"plans[{plans.Count}]: {problem}");
                plans.Add(plan);
            }

            var keyId = ContractJson.Text(root, "keyId");
            var signature = ContractJson.Text(root, "sig");
            if (keyId is { Length: > 64 } || signature is { Length: > 128 })
                return (null, "'keyId' or 'sig' too long");
            return (new PlanSetMessage(gateway, version, issuedAt, plans) { KeyId = keyId, Signature = signature }, (string?)null);
        }, out set, out error);

    /// <summary>A plan from its JSON (the server's API reads plans the same way); null with the problem. Never throws on JSON content.</summary>
    public static IrrigationPlan? ReadPlan(JsonElement element, out string? problem, string? id = null)
    {
        problem = null;
        if (element.ValueKind != JsonValueKind.Object)
            return Bad(out problem, "a plan must be an object");
        id ??= ContractJson.Text(element, "id") ?? "";
        var name = ContractJson.Text(element, "name") ?? "";
        var mode = ContractJson.Text(element, "mode") switch
        {
            "rotation" => PlanMode.Rotation,
            "together" => PlanMode.Together,
            _ => (PlanMode?)null,
        };
        if (mode is null)
            return Bad(out problem, "'mode' must be \"rotation\" or \"together\"");
        if (!TryDate(ContractJson.Text(element, "seasonFrom"), out var from) || !TryDate(ContractJson.Text(element, "seasonTo"), out var to))
            return Bad(out problem, "'seasonFrom' and 'seasonTo' must be dates (yyyy-MM-dd)");
        if (!TryTime(ContractJson.Text(element, "start"), out var start))
            return Bad(out problem, "'start' must be a time of day (HH:mm or HH:mm:ss, Beijing time)");
        var days = new List<int>();
        if (element.TryGetProperty("days", out var daysElement) && daysElement.ValueKind == JsonValueKind.Array && daysElement.GetArrayLength() <= 7)
        {
            foreach (var day in daysElement.EnumerateArray())
            {
                if (day.ValueKind != JsonValueKind.Number || !day.TryGetInt32(out var d))
                    return Bad(out problem, "'days' must hold ISO days of week 1 (Monday) .. 7 (Sunday)");
                days.Add(d);
            }
        }
        else
        {
            return Bad(out problem, "'days' must be an array of ISO days of week 1 (Monday) .. 7 (Sunday)");
        }

        var gap = element.TryGetProperty("startGapSeconds", out var gapElement) && gapElement.ValueKind == JsonValueKind.Number && gapElement.TryGetInt32(out var g) ? g : -1;
        var steps = new List<PlanStep>();
        if (!element.TryGetProperty("steps", out var stepsElement) || stepsElement.ValueKind != JsonValueKind.Array || stepsElement.GetArrayLength() > MaxSteps)
            return Bad(out problem, $"'steps' must be an array of at most {MaxSteps} steps");
        foreach (var step in stepsElement.EnumerateArray())
        {
            if (step.ValueKind != JsonValueKind.Object)
                return Bad(out problem, "a step must be an object");
            var station = ContractJson.Text(step, "station") ?? "";
            var pump = step.TryGetProperty("pump", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var n) ? n : 0;
            var duration = step.TryGetProperty("durationSeconds", out var ds) && ds.ValueKind == JsonValueKind.Number && ds.TryGetInt32(out var s) ? s : 0;
            steps.Add(new PlanStep(station, pump, duration));
        }

        var skip = new List<DateOnly>();
        if (element.TryGetProperty("skipDates", out var skipElement))
        {
            if (skipElement.ValueKind != JsonValueKind.Array || skipElement.GetArrayLength() > MaxSkipDates)
                return Bad(out problem, $"'skipDates' must be an array of at most {MaxSkipDates} dates");
            foreach (var date in skipElement.EnumerateArray())
            {
                if (date.ValueKind != JsonValueKind.String || !TryDate(date.GetString(), out var d))
                    return Bad(out problem, "'skipDates' must hold dates (yyyy-MM-dd)");
                skip.Add(d);
            }
        }

        var plan = new IrrigationPlan(id, name, mode.Value, from, to, days, start, gap, steps)
        {
            SkipDates = skip,
            Paused = element.TryGetProperty("paused", out var paused) && paused.ValueKind == JsonValueKind.True,
            OverrideOperatorStop = element.TryGetProperty("overrideOperatorStop", out var over) && over.ValueKind == JsonValueKind.True,
            Revision = ContractJson.Integer(element, "revision", out var revision) ? revision : 1,
        };
        problem = PlanRules.Problem(plan);
        return problem is null ? plan : null;
    }

    private static IrrigationPlan? Bad(out string? problem, string text)
    {
        problem = text;
        return null;
    }

    public static bool TryDate(string? text, out DateOnly date) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    public static bool TryTime(string? text, out TimeOnly time) =>
        TimeOnly.TryParseExact(text, ["HH:mm:ss", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out time);

    /// <summary>The set with <paramref name="keyId"/> and its signature.</summary>
    public static PlanSetMessage Sign(PlanSetMessage set, string keyId, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(key);
        var unsigned = set with { KeyId = null, Signature = null };
        return unsigned with { KeyId = keyId, Signature = Base64Url.EncodeToString(HMACSHA256.HashData(key, Canonical(unsigned))) };
    }

    /// <summary>Null when the set is signed by one of <paramref name="keys"/>; else why not.</summary>
    public static string? SignatureProblem(PlanSetMessage set, IReadOnlyDictionary<string, byte[]> keys)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(keys);
        if (set.Signature is null)
            return "the plan set is not signed";
        if (set.KeyId is null || !keys.TryGetValue(set.KeyId, out var key))
            return $"signed with key '{set.KeyId}', which this gateway does not hold";
        var expected = HMACSHA256.HashData(key, Canonical(set with { KeyId = null, Signature = null }));
        Span<byte> given = stackalloc byte[64];
        return Base64Url.IsValid(set.Signature, out var size) && size <= given.Length
            && Base64Url.TryDecodeFromChars(set.Signature, given, out var length) && CryptographicOperations.FixedTimeEquals(expected, given[..length])
            ? null
            : "the signature does not match the plan set";
    }

    public static byte[] Write(PlanAppliedMessage applied)
    {
        ArgumentNullException.ThrowIfNull(applied);
        return ContractJson.Object(256, json =>
        {
            json.WriteString("gateway"u8, applied.Gateway);
            json.WriteNumber("version"u8, applied.Version);
            json.WriteString("status"u8, applied.Status);
            ContractJson.StringOrNull(json, "reason"u8, applied.Reason);
            ContractJson.StringOrNull(json, "detail"u8, applied.Detail);
            json.WriteNumber("runningVersion"u8, applied.RunningVersion);
            json.WriteBoolean("clockTrusted"u8, applied.ClockTrusted);
            ContractJson.StringOrNull(json, "clockProblem"u8, applied.ClockProblem);
            json.WriteNumber("ts"u8, applied.Ts);
        });
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, out PlanAppliedMessage? applied, out string? error) =>
        ContractJson.TryReadObject(payload, 8192, root =>
        {
            var gateway = ContractJson.Text(root, "gateway");
            var status = ContractJson.Text(root, "status");
            if (string.IsNullOrEmpty(gateway))
                return (null, "'gateway' is required");
            if (status is not (PlanApplyStatus.Applied or PlanApplyStatus.Refused))
                return (null, "'status' must be applied or refused");
            ContractJson.Integer(root, "version", out var version);
            ContractJson.Integer(root, "runningVersion", out var running);
            ContractJson.Integer(root, "ts", out var ts);
            var trusted = !root.TryGetProperty("clockTrusted", out var c) || c.ValueKind != JsonValueKind.False;
            return (new PlanAppliedMessage(gateway, version, status, ContractJson.Text(root, "reason"), ContractJson.Text(root, "detail"), running, trusted, ContractJson.Text(root, "clockProblem"), ts), (string?)null);
        }, out applied, out error);
}

/// <summary>What makes a plan valid on its own (the server refuses edits by the same rules the gateway checks on receipt).</summary>
public static class PlanRules
{
    public static string? Problem(IrrigationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Id.Length is 0 or > 40 || !plan.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            return "'id' must be 1..40 letters, digits, '-' or '_'";
        if (string.IsNullOrWhiteSpace(plan.Name) || plan.Name.Length > PlanSetPayload.MaxNameLength)
            return $"'name' must be 1..{PlanSetPayload.MaxNameLength} characters";
        if (plan.SeasonFrom.Year < 2000 || plan.SeasonTo.Year > 2100)
            return "the season must lie within the years 2000..2100";
        if (plan.SeasonTo < plan.SeasonFrom)
            return "the season ends before it starts";
        if (plan.SeasonTo.DayNumber - plan.SeasonFrom.DayNumber >= PlanSetPayload.MaxSeasonDays)
            return $"a season is at most {PlanSetPayload.MaxSeasonDays} days";
        if (plan.Days.Count == 0 || plan.Days.Any(d => d is < 1 or > 7) || plan.Days.Distinct().Count() != plan.Days.Count)
            return "'days' must name each ISO day of week (1 = Monday .. 7 = Sunday) at most once, and at least one";
        if (plan.StartGapSeconds < 0 || plan.StartGapSeconds > PlanSetPayload.MaxStartGapSeconds)
            return $"'startGapSeconds' must be 0..{PlanSetPayload.MaxStartGapSeconds}";
        if (plan.Steps.Count == 0)
            return "a plan needs at least one step";
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            if (step.Station.Length is 0 or > 64 || step.Station.Contains('/') || step.Station.Contains('+') || step.Station.Contains('#'))
                return $"step {i + 1}: 'station' must be a station id";
            if (step.Pump is < 1 or > CommandPayload.MaxPump)
                return $"step {i + 1}: 'pump' must be 1..{CommandPayload.MaxPump}";
            if (step.DurationSeconds is < 1 or > PlanSetPayload.MaxDurationSeconds)
                return $"step {i + 1}: 'durationSeconds' must be 1..{PlanSetPayload.MaxDurationSeconds}";
        }

        if (PlanCalendar.ConflictWithin(plan) is { } self)
            return self;
        return null;
    }
}

/// <summary>One step of one day's occurrence of a plan: which pump runs from when to when (Unix ms).</summary>
public sealed record PlanOccurrence(string PlanId, DateOnly Day, int StepIndex, PlanStep Step, long StartMs, long EndMs)
{
    /// <summary>The run's id, stable across restarts: <c>{plan}/{yyyyMMdd}/{step}</c>; its commands add <c>/start</c> and <c>/stop</c>.</summary>
    public string RunId => $"{PlanId}/{Day:yyyyMMdd}/{StepIndex + 1}";
}

/// <summary>
/// When a plan runs. Plans are written in Beijing time (UTC+8; China has kept no daylight saving since 1991, so the
/// offset is fixed and needs no tz database on the gateway).
/// </summary>
public static class PlanCalendar
{
    /// <summary>Beijing's UTC offset (<see cref="BeijingTime"/>), for showing times.</summary>
    public static readonly TimeSpan BeijingOffset = BeijingTime.FixedOffset;

    /// <summary>The longest one occurrence may last, first start to last end (47 h).</summary>
    public const long MaxSpanSeconds = 47 * 3600L;


    /// <summary>Seconds from the plan's start to each step's start: rotation after the one before plus the gap; together spread by the gap.</summary>
    public static IReadOnlyList<int> Offsets(IrrigationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var offsets = new int[plan.Steps.Count];
        var at = 0;
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = plan.Mode == PlanMode.Together ? i * plan.StartGapSeconds : at;
            at += plan.Steps[i].DurationSeconds + plan.StartGapSeconds;
        }

        return offsets;
    }

    /// <summary>True when the plan runs on <paramref name="day"/> (season, day of week, skip dates, not paused).</summary>
    public static bool RunsOn(IrrigationPlan plan, DateOnly day, bool ignorePause = false) =>
        (ignorePause || !plan.Paused) && day >= plan.SeasonFrom && day <= plan.SeasonTo && plan.Days.Contains(IsoDay(day)) && !plan.SkipDates.Contains(day);

    public static int IsoDay(DateOnly day) => day.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)day.DayOfWeek;

    /// <summary>Every step of the plan's occurrence that starts on <paramref name="day"/> (steps may end, or start, on the next day).</summary>
    public static IEnumerable<PlanOccurrence> On(IrrigationPlan plan, DateOnly day, bool ignorePause = false)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!RunsOn(plan, day, ignorePause))
            yield break;
        var begin = BeijingTime.Ms(day, plan.Start);
        var offsets = Offsets(plan);
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var start = begin + offsets[i] * 1000L;
            yield return new PlanOccurrence(plan.Id, day, i, plan.Steps[i], start, start + plan.Steps[i].DurationSeconds * 1000L);
        }
    }

    /// <summary>Occurrences that start within [fromMs, toMs), in start order.</summary>
    public static IEnumerable<PlanOccurrence> Between(IEnumerable<IrrigationPlan> plans, long fromMs, long toMs) =>
        plans.SelectMany(plan =>
        {
            var first = BeijingTime.DateOf(fromMs).AddDays(-2); // a long rotation that began two days before may still have steps to come
            var last = BeijingTime.DateOf(toMs);
            var list = new List<PlanOccurrence>();
            for (var day = first; day <= last; day = day.AddDays(1))
                list.AddRange(On(plan, day).Where(o => o.StartMs >= fromMs && o.StartMs < toMs));
            return list;
        }).OrderBy(o => o.StartMs).ThenBy(o => o.PlanId, StringComparer.Ordinal).ThenBy(o => o.StepIndex);

    /// <summary>Length of one occurrence, first start to last end.</summary>
    public static long SpanSeconds(IrrigationPlan plan)
    {
        var offsets = Offsets(plan);
        long span = 0;
        for (var i = 0; i < offsets.Count; i++)
            span = Math.Max(span, offsets[i] + (long)plan.Steps[i].DurationSeconds);
        return span;
    }

    /// <summary>A plan whose one occurrence runs a pump twice at once, or runs into its own next day's occurrence.</summary>
    public static string? ConflictWithin(IrrigationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        // The gateway looks two days back for steps still to come (Between): one occurrence may not last longer.
        if (SpanSeconds(plan) > MaxSpanSeconds)
            return $"one occurrence of the plan lasts more than {MaxSpanSeconds / 3600} hours";
        // Compare each weekday's occurrence with itself (other steps) and with the following days', on the plan's own days.
        var sample = plan with { SeasonFrom = new DateOnly(2000, 1, 3), SeasonTo = new DateOnly(2000, 1, 3 + 13), SkipDates = [], Paused = false };
        var windows = new List<PlanOccurrence>();
        for (var day = sample.SeasonFrom; day <= sample.SeasonTo; day = day.AddDays(1))
            windows.AddRange(On(sample, day));
        foreach (var a in windows.Where(w => w.Day < sample.SeasonFrom.AddDays(7)))
        {
            foreach (var b in windows)
            {
                if (ReferenceEquals(a, b) || (a.Day == b.Day && a.StepIndex == b.StepIndex))
                    continue;
                if (a.Step.Station == b.Step.Station && a.Step.Pump == b.Step.Pump && a.StartMs < b.EndMs && b.StartMs < a.EndMs)
                    return b.Day == a.Day
                        ? $"steps {a.StepIndex + 1} and {b.StepIndex + 1} run pump {a.Step.Pump} of {a.Step.Station} at the same time"
                        : $"step {a.StepIndex + 1} is still running pump {a.Step.Pump} of {a.Step.Station} when the next day's occurrence starts it";
            }
        }

        return null;
    }

    /// <summary>
    /// The first time two plans would run the same pump at once (on days both run, skip dates aside: a skip date is
    /// rain, not a promise), described for the person editing; null when they never do.
    /// </summary>
    public static PlanConflict? Conflict(IrrigationPlan a, IrrigationPlan b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var pumps = a.Steps.Select(s => (s.Station, s.Pump)).Intersect(b.Steps.Select(s => (s.Station, s.Pump))).ToHashSet();
        if (pumps.Count == 0)
            return null;
        var reach = (int)(Math.Max(SpanSeconds(a), SpanSeconds(b)) / 86400) + 1;
        var from = (a.SeasonFrom > b.SeasonFrom ? a.SeasonFrom : b.SeasonFrom).AddDays(-reach);
        var to = (a.SeasonTo < b.SeasonTo ? a.SeasonTo : b.SeasonTo).AddDays(reach);
        if (to < from)
            return null;
        var openA = a with { SkipDates = [] };
        var openB = b with { SkipDates = [] };
        var windowsB = new Dictionary<DateOnly, List<PlanOccurrence>>();
        for (var day = from.AddDays(-reach); day <= to.AddDays(reach); day = day.AddDays(1))
            windowsB[day] = On(openB, day, ignorePause: true).Where(o => pumps.Contains((o.Step.Station, o.Step.Pump))).ToList();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            foreach (var x in On(openA, day, ignorePause: true).Where(o => pumps.Contains((o.Step.Station, o.Step.Pump))))
            {
                var near = Enumerable.Range(-reach, 2 * reach + 1).SelectMany(d => windowsB.GetValueOrDefault(day.AddDays(d)) ?? []);
                foreach (var y in near)
                {
                    if (x.Step.Station == y.Step.Station && x.Step.Pump == y.Step.Pump && x.StartMs < y.EndMs && y.StartMs < x.EndMs)
                    {
                        return new PlanConflict(x.Step.Station, x.Step.Pump, a.Name, b.Name, DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(x.StartMs, y.StartMs)).ToOffset(BeijingOffset));
                    }
                }
            }
        }

        return null;
    }
}

/// <summary>Two plans that would run the same pump at once: the first such time (Beijing).</summary>
public sealed record PlanConflict(string Station, int Pump, string Plan, string OtherPlan, DateTimeOffset At)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"pump {Pump} of {Station} would run for both '{Plan}' and '{OtherPlan}' on {At:yyyy-MM-dd} from {At:HH:mm} (Beijing time)");
}

/// <summary>The extra fields a scheduled run's result carries on <c>{root}/{station}/cmd/result</c>.</summary>
public sealed record ScheduleInfo(string Plan, long PlanVersion, string RunId, long PlannedAtMs);

/// <summary>The server's clock on <c>{root}/time</c>: <c>{"ts": unix ms}</c>.</summary>
public static class ServerTimePayload
{
    public static byte[] Write(long unixMs) => ContractJson.Object(32, json => json.WriteNumber("ts"u8, unixMs));

    public static bool TryRead(ReadOnlySpan<byte> payload, out long unixMs)
    {
        long read = 0;
        var ok = ContractJson.TryReadObject(payload, 256, root => ContractJson.Integer(root, "ts", out read) && read > 0 ? ("ok", (string?)null) : (null, "'ts' is required"), out _, out _);
        unixMs = read;
        return ok;
    }
}
