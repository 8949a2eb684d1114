using Irrigation.Server.Observability;
using System.Diagnostics.Metrics;
using System.Text;
using Irrigation.Contracts;
using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Write;
using Irrigation.Mqtt.Client;
using Irrigation.Server.Audit;
using Irrigation.Server.Configuration;
using Microsoft.Extensions.Options;
using Irrigation.Server.Events;
using Irrigation.Server.Http;
using Irrigation.Server.Messaging;
using Irrigation.Server.State;

using Irrigation.Server.Storage;

using Irrigation.Server.Leadership;

namespace Irrigation.Server.Commands;

/// <summary>
/// Carries pump commands to the gateways and their outcomes back. Commands go out on
/// <c>{root}/{station}/cmd</c> (QoS 1; "sent" once the broker acknowledged), results come in on
/// <c>{root}/+/cmd/result</c>. A command still undelivered at its expiry ends <c>expired</c>; one delivered
/// but unanswered by expiry + grace ends <c>timed_out</c>. The gateway itself refuses anything past its expiry,
/// so a command delayed in the broker never acts late. Every state change is audited, pushed to live clients, and
/// a final state is written to InfluxDB (measurement <c>command</c>) for the acceptance dashboards.
/// </summary>
public sealed class CommandDispatcher : BackgroundService
{
    private static readonly string[] OpenStates = [CommandStates.Pending, CommandStates.Sent];
    private readonly CommandOptions _options;
    private readonly GatewayKeyring _keyring;
    private readonly IForgedCommandListener[] _forgedListeners;
    private readonly IScheduledResultListener[] _scheduleListeners;
    private readonly ServerMqttOptions _mqttOptions;
    private readonly string _topicRoot;
    private readonly IMqttClient _mqtt;
    private readonly CommandStore _store;
    private readonly AuditLog _audit;
    private readonly EventHub _hub;
    private readonly EventPointWriter _events;
    private readonly TimeProvider _time;
    private readonly ILogger<CommandDispatcher> _logger;
    private readonly InstanceLeadership _leadership;
    private readonly Counter<long> _malformedResults;
    private readonly Counter<long> _forgedCommands;

    public CommandDispatcher(IOptions<CommandOptions> options, IOptions<ServerMqttOptions> mqttOptions, IOptions<SiteOptions> site, GatewayKeyring keyring, IEnumerable<IForgedCommandListener> forgedListeners, IEnumerable<IScheduledResultListener> scheduleListeners, MqttSession<CommandDispatcher> mqtt, CommandStore store, AuditLog audit, EventHub hub, EventPointWriter events, IMeterFactory meters, TimeProvider time, ILogger<CommandDispatcher> logger, InstanceLeadership leadership)
    {
        var meter = ServerMeters.Create(meters);
        meter.CreateObservableGauge("irrigation_commands_mqtt_connected", () => mqtt.Client.IsConnected ? 1 : 0, description: "1 while the command connection to the broker is up.");
        _malformedResults = meter.CreateCounter<long>("irrigation_command_results_malformed", description: "Gateway command results that could not be read.");
        _forgedCommands = meter.CreateCounter<long>("irrigation_commands_forged", description: "Commands the server never issued that a gateway refused (bad signature).");
        _forgedCommands.Add(0);
        _malformedResults.Add(0);
        ArgumentNullException.ThrowIfNull(mqtt);
        _options = options.Value;
        _keyring = keyring;
        _forgedListeners = forgedListeners.ToArray();
        _scheduleListeners = scheduleListeners.ToArray();
        _mqttOptions = mqttOptions.Value;
        _topicRoot = site.Value.TopicRoot;
        _mqtt = mqtt.Client;
        _store = store;
        _audit = audit;
        _hub = hub;
        _events = events;
        _time = time;
        _logger = logger;
        _leadership = leadership;
    }

    public bool Connected => _mqtt.IsConnected;

    /// <summary>
    /// Signs the command with the first key of the station's gateway (its configuration's, else the one its status named).
    /// Without a key for that gateway it goes unsigned: a gateway that holds keys refuses it (bad_signature).
    /// </summary>
    private CommandMessage Signed(CommandMessage message, string station)
    {
        var gateway = _keyring.GatewayOf(station);
        if (_keyring.SigningKey(gateway) is { } key)
            return CommandSignature.Sign(message, station, key.Id, key.Secret);
        if (_keyring.AnyKeys)
            _logger.LogWarning("Command {Id} for {Station}: no command key for gateway {Gateway}; sent unsigned.", message.Id, station, gateway ?? "(unknown)");
        return message;
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Publishes a pending command; marks it sent when the broker acknowledges. Gives up at the command's expiry.</summary>
    public async Task SendAsync(CommandView command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var payload = CommandPayload.Write(Signed(new CommandMessage(
            command.Id, command.Action == "start" ? PumpAction.Start : PumpAction.Stop, command.Pump, command.RequestedBy,
            DateTimeOffset.FromUnixTimeMilliseconds(command.ExpiresAt)) { IssuedAt = DateTimeOffset.FromUnixTimeMilliseconds(command.CreatedAt) }, command.Station));
        using var untilExpiry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        untilExpiry.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, command.ExpiresAt - Now)));
        try
        {
            // MQTT 5 message expiry: a broker holding the command for an absent gateway discards it at the command's own
            // expiry, a second guard beside the gateway's check of expiresAt.
            var expiry = TimeSpan.FromMilliseconds(Math.Max(1, command.ExpiresAt - Now));
            await _mqtt.PublishAsync(new MqttApplicationMessage(Topics.Command(_topicRoot, command.Station), payload, MqttQualityOfService.AtLeastOnce) { Expiry = expiry }, untilExpiry.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or MqttClientException)
        {
            _logger.LogWarning("Command {Id} for {Station} pump {Pump} not delivered to the broker: {Reason}.", command.Id, command.Station, command.Pump, ex.Message);
            return; // the sweeper ends it as expired
        }

        Apply(_store.Transition(command.Id, [CommandStates.Pending], CommandStates.Sent, null, null, Now), "broker acknowledged");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweeper = SweepAsync(stoppingToken);
        await ConnectAsync(stoppingToken);
        await BrokerConnection.ReadAsync(_mqtt, message => HandleResult(message.Topic, message.Payload.Span), stoppingToken);
        await sweeper;
    }

    private async Task ConnectAsync(CancellationToken stoppingToken)
    {
        await BrokerConnection.ConnectAsync(_mqtt, [new MqttTopicFilter(Topics.AllCommandResults(_topicRoot), MqttQualityOfService.AtLeastOnce)], _mqttOptions, _logger, "Commands", stoppingToken);
        if (!stoppingToken.IsCancellationRequested)
            _logger.LogInformation("Commands: publishing to {Commands}, results from {Results}.", Topics.Command(_topicRoot, "{station}"), Topics.AllCommandResults(_topicRoot));
    }

    /// <summary>Applies a gateway result. Never throws on bad input: a malformed result is counted and logged.</summary>
    internal void HandleResult(string topic, ReadOnlySpan<byte> payload)
    {
        string? id = null, outcome = null, reason = null, detail = null;
        if (CommandResultPayload.TryRead(payload, out var result, out _))
            (id, outcome, reason, detail) = (result!.Id, result.Outcome, result.Reason, result.Detail);
        if (result is { Origin: CommandOrigins.Schedule })
        {
            foreach (var listener in _scheduleListeners)
                listener.ScheduledResult(result);
            return;
        }

        var state = outcome switch
        {
            CommandOutcomes.Succeeded => CommandStates.Succeeded,
            CommandOutcomes.Rejected => CommandStates.Rejected,
            CommandOutcomes.Failed => CommandStates.Failed,
            CommandOutcomes.Expired => CommandStates.Expired,
            _ => null,
        };
        if (id is null || state is null)
        {
            _malformedResults.Add(1);
            _logger.LogWarning("Malformed command result on {Topic}: {Sample}", topic, Encoding.UTF8.GetString(payload[..Math.Min(payload.Length, 200)]));
            return;
        }

        var updated = _store.Transition(id, OpenStates, state, reason, detail, Now);
        if (updated is not null)
        {
            Apply(updated, "gateway result");
            return;
        }

        if (_store.Get(id) is { } known)
        {
            // A result after the server gave up (timed_out): keep the final state, but record what the gateway said.
            _audit.Write("system", "command.late_result", outcome!, known.Station, known.Pump, $"{id}: {reason} {detail}".Trim());
        }
        else if (reason == CommandReasons.BadSignature && result is not null)
        {
            // A command the server never issued reached a gateway, which refused it: someone with broker access is trying.
            _forgedCommands.Add(1);
            _logger.LogWarning("Security: gateway {Gateway} refused a command the server never issued ({Id}: {Action} pump {Pump} at {Station}): {Detail}",
                result.Gateway, id, result.Action, result.Pump, result.Station, detail);
            _audit.Write("gateway:" + result.Gateway, "command.forged", CommandOutcomes.Rejected, result.Station, result.Pump, $"{id} {result.Action}: {detail}");
            foreach (var listener in _forgedListeners)
                listener.Forged(result.Station, result.Gateway, Now);
        }
    }

    /// <summary>Ends commands whose time is up: undelivered → expired, delivered but unanswered → timed_out.</summary>
    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (await Ticks.NextAsync(timer, stoppingToken))
        {
            try
            {
                if (_leadership.IsLeader) // one instance ends commands, whichever instance sent them
                    Sweep();
            }
            catch (System.Data.Common.DbException ex)
            {
                _logger.LogError(ex, "Command sweep failed; retrying.");
            }
        }
    }

    internal void Sweep()
    {
        var now = Now;
        var grace = (long)_options.ResultGrace.TotalMilliseconds;
        foreach (var command in _store.Open())
        {
            if (command.State == CommandStates.Pending && now > command.ExpiresAt)
                Apply(_store.Transition(command.Id, [CommandStates.Pending], CommandStates.Expired, "not_delivered", "The broker was not reachable before the command expired.", now), "sweep");
            else if (command.State == CommandStates.Sent && now > command.ExpiresAt + grace)
                Apply(_store.Transition(command.Id, [CommandStates.Sent], CommandStates.TimedOut, "no_result", "No result from the gateway.", now), "sweep");
        }
    }

    private void Apply(CommandView? command, string source)
    {
        if (command is null)
            return;
        _audit.Write(command.RequestedBy, "command.state", command.State, command.Station, command.Pump,
            $"{command.Id} {command.Action}: {command.State}{(command.Reason is null ? "" : " (" + command.Reason + ")")} via {source}");
        _hub.Publish("command", command);
        if (!CommandStates.IsFinal(command.State))
            return;
        var point = PointData.Create("command")
            .Tag("station", command.Station).Tag("pump", command.Pump.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Tag("action", command.Action).Tag("outcome", command.State)
            .Field("id", command.Id).Field("requested_by", command.RequestedBy).Field("reason", command.Reason ?? "")
            .Field("duration_ms", command.UpdatedAt - command.CreatedAt)
            .Timestamp(command.UpdatedAt);
        _events.Enqueue(point, _logger);
    }
}

