using Irrigation.Server.Audit;
using Irrigation.Server.Commands;
using Irrigation.Server.State;
using Irrigation.Sl651.Client;
using Irrigation.Sl651.Diagnostics;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;

namespace Irrigation.Server.Uplink;

/// <summary>
/// Answers what the platform asks of one station (ENQ frames). A 4CH pump switch command (§6.6.4.26) is refused unless
/// the station is configured with <c>AcceptPumpControl</c>; SL 651 has no negative reply for it, so the station answers
/// with its unchanged pump state (table 73 "设置后的状态") — audited as refused and counted. An accepted command goes
/// through the server's one command path, <see cref="PumpCommandRequests"/> (as the operators' API does): a command per
/// pump in <see cref="CommandStore"/>, signed and published by <see cref="CommandDispatcher"/>, interlocked at the
/// gateway, confirmed by its feedback, audited; the reply carries
/// the state after. 44H queries are answered with pump/motor data; other queries are not answered (M4: invalid → silence).
/// </summary>
public sealed class PlatformPumpControl : ISl651CommandHandler
{
    public const string Actor = "sl651:platform";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>How far the platform's clock may be from ours before its command's send time makes it stale.</summary>
    public static readonly TimeSpan PlatformClockTolerance = TimeSpan.FromMinutes(1);

    private readonly UplinkStation _station;
    private readonly UplinkOptions _options;
    private readonly UplinkStations _stations;
    private readonly StationRegistry _registry;
    private readonly LatestValueCache _cache;
    private readonly StationLiveness _liveness;
    private readonly CommandStore _commands;
    private readonly PumpCommandRequests _requests;
    private readonly CommandOptions _commandOptions;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    internal PlatformPumpControl(UplinkStation station, UplinkOptions options, UplinkStations stations, IServiceProvider services, ILogger logger)
    {
        _station = station;
        _options = options;
        _stations = stations;
        _registry = services.GetRequiredService<StationRegistry>();
        _cache = services.GetRequiredService<LatestValueCache>();
        _liveness = services.GetRequiredService<StationLiveness>();
        _commands = services.GetRequiredService<CommandStore>();
        _requests = services.GetRequiredService<PumpCommandRequests>();
        _commandOptions = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CommandOptions>>().Value;
        _audit = services.GetRequiredService<AuditLog>();
        _time = services.GetRequiredService<TimeProvider>();
        _logger = logger;
    }

    public async Task<Sl651Message?> HandleAsync(Sl651Message request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var entry = _registry.Find(_station.Id);
        switch (request)
        {
            case Sl651Query { Kind: Sl651FunctionCode.PumpRealTime } query when entry is not null:
                return UplinkReports.PumpRealTime(query.Serial, Now, _station.Header.Station, _cache.Snapshot(entry), _station.Options);
            case Sl651PumpSwitchCommand command:
                return await SwitchAsync(command, entry, cancellationToken);
            default:
                _logger.LogInformation("SL 651 uplink {Station}: platform request {Function:X2}H not answered (not implemented).", _station.Id, (byte)request.Function);
                return null;
        }
    }

    private DateTime Now => StationClock.Now(_time, _options.UtcOffset);

    private async Task<Sl651Message> SwitchAsync(Sl651PumpSwitchCommand command, StationEntry? entry, CancellationToken cancellationToken)
    {
        var wanted = string.Join(',', Enumerable.Range(1, command.Pumps.Capacity).Select(n => command.Pumps.IsOn(n) ? $"{n}:on" : $"{n}:off"));
        Sl651Message Unchanged(string outcome, string why)
        {
            _stations.Counters.Error(Sl651ErrorKind.CommandRefused);
            _audit.Write(Actor, "sl651.pump_control", outcome, _station.Id, null, $"4CH {command.Pumps} ({wanted}) serial {command.Serial}: {why}");
            _logger.LogWarning("SL 651 uplink {Station}: pump command from the platform {Outcome}: {Why}", _station.Id, outcome, why);
            return StateReport(command.Serial, entry);
        }

        if (!_station.Options.AcceptPumpControl)
            return Unchanged("refused", "this station does not accept pump control from the platform (AcceptPumpControl is off)");
        // Never a stale command: one sent longer ago than a command lives, plus a minute for the two clocks, is not acted on.
        var age = Now - command.SendTime;
        if (age.Duration() > _commandOptions.Lifetime + PlatformClockTolerance)
            return Unchanged("stale", $"sent {command.SendTime:yyyy-MM-dd HH:mm:ss}, {age.TotalSeconds:0} s from this server's clock; commands live {_commandOptions.Lifetime.TotalSeconds:0} s (+{PlatformClockTolerance.TotalSeconds:0} s for the clocks)");
        if (entry is null)
            return Unchanged("refused", "station not in the registry");
        var snapshot = _cache.Snapshot(entry);
        if (!_liveness.IsOnline(snapshot))
            return Unchanged("station_offline", $"station is {snapshot.Status}");

        var running = UplinkReports.PumpsRunning(snapshot);
        var issued = new List<CommandView>();
        foreach (var (pump, on) in running)
        {
            var want = command.Pumps.IsOn(pump);
            if (pump > command.Pumps.Capacity || want == on)
                continue;
            var action = want ? "start" : "stop";
            // The same frame sent again (same send time and serial) finds its command by this key and issues nothing new.
            var key = $"sl651-{command.SendTime:yyMMddHHmmss}-{command.Serial}-{pump}";
            var requested = _requests.Request(new CommandRequester(Actor, Note: $"SL 651 4CH serial {command.Serial}"), key, _station.Id, pump, action, cancellationToken);
            if (requested.Outcome is CreateCommandOutcome.PumpBusy or CreateCommandOutcome.KeyReused)
                continue;
            await requested.Delivery;
            issued.Add(requested.Command!);
        }

        // Wait for the gateway's confirmation (feedback) of every command, as long as CommandWait allows.
        var deadline = _time.GetUtcNow() + _options.CommandWait;
        var finals = new Dictionary<string, CommandView>();
        while (finals.Count < issued.Count && _time.GetUtcNow() < deadline)
        {
            foreach (var c in issued)
            {
                if (!finals.ContainsKey(c.Id) && _commands.Get(c.Id) is { } now && CommandStates.IsFinal(now.State))
                    finals[c.Id] = now;
            }

            if (finals.Count < issued.Count)
                await Task.Delay(PollInterval, cancellationToken);
        }

        var summary = string.Join("; ", issued.Select(c => $"pump {c.Pump} {c.Action}: {(finals.TryGetValue(c.Id, out var f) ? f.State : "no result yet")}"));
        _audit.Write(Actor, "sl651.pump_control", issued.Count == 0 ? "no_change" : finals.Values.All(f => f.State == CommandStates.Succeeded) && finals.Count == issued.Count ? "succeeded" : "incomplete",
            _station.Id, null, $"4CH {command.Pumps} ({wanted}) serial {command.Serial}: {(issued.Count == 0 ? "pumps already so" : summary)}");
        var succeeded = finals.Values.Where(f => f.State == CommandStates.Succeeded).ToDictionary(f => f.Pump, f => f.Action == "start");
        return StateReport(command.Serial, entry, succeeded);
    }

    /// <summary>The 4CH reply: current running states, with pumps whose command the gateway confirmed in their new state.</summary>
    private Sl651PumpStateReport StateReport(ushort serial, StationEntry? entry, IReadOnlyDictionary<int, bool>? confirmed = null)
    {
        var running = entry is null ? new SortedDictionary<int, bool>() : UplinkReports.PumpsRunning(_cache.Snapshot(entry));
        foreach (var (pump, on) in confirmed ?? new Dictionary<int, bool>())
            running[pump] = on;
        var count = _station.Options.Pumps > 0 ? _station.Options.Pumps : Math.Max(1, running.Keys.DefaultIfEmpty(1).Max());
        return new Sl651PumpStateReport(serial, Now, _station.Header.Station, Sl651PumpStates.Of(count, n => running.TryGetValue(n, out var on) && on));
    }
}
