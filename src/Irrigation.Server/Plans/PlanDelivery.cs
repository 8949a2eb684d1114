using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Irrigation.Contracts;
using Irrigation.Mqtt.Client;
using Irrigation.Server.Audit;
using Irrigation.Server.Commands;
using Irrigation.Server.Configuration;
using Irrigation.Server.Messaging;
using Irrigation.Server.Observability;
using Irrigation.Server.State;
using Microsoft.Extensions.Options;

using Irrigation.Server.Leadership;

namespace Irrigation.Server.Plans;

/// <summary>
/// Delivers plans to the gateways and hears what they run (docs/plans.md "Delivery"). For each gateway with a station in
/// a plan (or sent a set before), the plans that touch its stations go out as one <see cref="PlanSetMessage"/>, signed with
/// the gateway's command key, retained at QoS 1 on <c>{root}/gateways/{gateway}/plan</c> — whenever its content changes,
/// and again every <see cref="PlanOptions.ResendInterval"/> while the gateway has not confirmed it. The gateways'
/// answers on <c>…/plan/applied</c> are stored (the app flags a gateway running an older version); a refused set is
/// audited, and a refused signature raises the forged-command alarm on the gateway's stations. Also publishes the
/// server's clock on <c>{root}/time</c>.
/// </summary>
public sealed class PlanDelivery : BackgroundService
{
    private readonly PlanOptions _options;
    private readonly ServerMqttOptions _mqttOptions;
    private readonly string _root;
    private readonly PlanStore _store;
    private readonly GatewayKeyring _keyring;
    private readonly StationRegistry _registry;
    private readonly AuditLog _audit;
    private readonly IForgedCommandListener[] _forged;
    private readonly IMqttClient _mqtt;
    private readonly TimeProvider _time;
    private readonly ILogger<PlanDelivery> _logger;
    private readonly InstanceLeadership _leadership;
    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _refused;
    private readonly Dictionary<string, long> _lastSent = new(StringComparer.Ordinal);

    public PlanDelivery(IOptions<PlanOptions> options, IOptions<ServerMqttOptions> mqttOptions, IOptions<SiteOptions> site, PlanStore store, GatewayKeyring keyring, StationRegistry registry,
        AuditLog audit, IEnumerable<IForgedCommandListener> forged, MqttSession<PlanDelivery> mqtt, IMeterFactory meters, TimeProvider time, ILogger<PlanDelivery> logger, InstanceLeadership leadership)
    {
        ArgumentNullException.ThrowIfNull(mqtt);
        _options = options.Value;
        _mqttOptions = mqttOptions.Value;
        _root = site.Value.TopicRoot;
        _store = store;
        _keyring = keyring;
        _registry = registry;
        _audit = audit;
        _forged = forged.ToArray();
        _mqtt = mqtt.Client;
        _time = time;
        _logger = logger;
        _leadership = leadership;
        var meter = ServerMeters.Create(meters);
        _malformed = meter.CreateCounter<long>("irrigation_plan_answers_malformed", description: "Gateway plan answers that could not be read.");
        _refused = meter.CreateCounter<long>("irrigation_plan_sets_refused", description: "Plan sets a gateway refused (bad signature, invalid, old version).");
        meter.CreateObservableGauge("irrigation_plan_gateways_behind", () => _store.Sets().Count(s => s.Behind), description: "Gateways that run an older plan set than they were sent.");
    }

    /// <summary>Plans changed: deliver soon.</summary>
    public void Changed()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled: one delivery round covers every change so far
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await BrokerConnection.ConnectAsync(_mqtt, [new MqttTopicFilter(Topics.AllPlanApplied(_root), MqttQualityOfService.AtLeastOnce)], _mqttOptions, _logger, "Plans", stoppingToken);
        var reading = BrokerConnection.ReadAsync(_mqtt, m => HandleAnswer(m.Topic, m.Payload.Span), stoppingToken);
        var nextTime = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (!_leadership.IsLeader)
            {
                // The leading instance publishes time and plan sets; this one only records the gateways' answers.
                nextTime = 0;
                await ((Task)_changed.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            if (now >= nextTime)
            {
                await PublishTimeAsync(now, stoppingToken);
                nextTime = now + (long)_options.TimeInterval.TotalMilliseconds;
            }

            try
            {
                await DeliverAsync(stoppingToken);
            }
            catch (System.Data.Common.DbException ex)
            {
                _logger.LogError(ex, "Plans: delivery failed; retrying.");
            }

            var wait = TimeSpan.FromMilliseconds(Math.Max(1, nextTime - _time.GetUtcNow().ToUnixTimeMilliseconds()));
            await ((Task)_changed.WaitAsync(wait, stoppingToken)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await reading;
    }

    private async Task PublishTimeAsync(long now, CancellationToken stoppingToken)
    {
        if (!_mqtt.IsConnected)
            return;
        try
        {
            await _mqtt.PublishAsync(new MqttApplicationMessage(Topics.ServerTime(_root), ServerTimePayload.Write(now), MqttQualityOfService.AtMostOnce), stoppingToken);
        }
        catch (MqttClientException ex)
        {
            _logger.LogDebug("Plans: time not published ({Reason}).", ex.Message);
        }
    }

    /// <summary>Each gateway's plans: those with a step on one of its stations.</summary>
    internal Dictionary<string, List<IrrigationPlan>> PlansByGateway(IReadOnlyList<IrrigationPlan> plans)
    {
        var byGateway = new Dictionary<string, List<IrrigationPlan>>(StringComparer.Ordinal);
        foreach (var set in _store.Sets())
            byGateway[set.Gateway] = []; // sent before: an emptied set must reach it too
        foreach (var plan in plans)
        {
            foreach (var gateway in plan.Steps.Select(s => _keyring.GatewayOf(s.Station)).OfType<string>().Distinct(StringComparer.Ordinal))
            {
                if (!byGateway.TryGetValue(gateway, out var list))
                    byGateway[gateway] = list = [];
                list.Add(plan);
            }
        }

        return byGateway;
    }

    private async Task DeliverAsync(CancellationToken stoppingToken)
    {
        if (!_mqtt.IsConnected)
            return;
        // The version first: a change committed between the two reads then goes out with a higher one in the next round.
        var version = _store.Version();
        var plans = _store.All().Select(p => p.Plan).ToList();
        var sets = _store.Sets().ToDictionary(s => s.Gateway, StringComparer.Ordinal);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var (gateway, list) in PlansByGateway(plans))
        {
            var hash = Hash(list);
            var sent = sets.GetValueOrDefault(gateway);
            // The gateway holds a newer version than this server ever sent (the server's database was restored): go past it.
            var tooOld = sent is { Status: PlanApplyStatus.Refused, Reason: PlanRefusals.OldVersion };
            var same = sent is not null && !tooOld && _store.SentHash(gateway) == hash;
            var unconfirmed = sent is { Behind: true } && now - _lastSent.GetValueOrDefault(gateway, sent.PublishedAt) >= (long)_options.ResendInterval.TotalMilliseconds;
            if (same && !unconfirmed)
                continue;
            // New content always gets a version above anything the gateway was sent or runs, so it is never taken for the old.
            var setVersion = same ? sent!.Version : Math.Max(version, Math.Max(sent?.Version ?? 0, sent?.RunningVersion ?? 0) + 1);
            var message = new PlanSetMessage(gateway, setVersion, now, list);
            if (_keyring.SigningKey(gateway) is { } key)
                message = PlanSetPayload.Sign(message, key.Id, key.Secret);
            else if (_keyring.AnyKeys)
                _logger.LogWarning("Plans: no command key for gateway {Gateway}; its plan set goes unsigned (a gateway with keys refuses it).", gateway);
            try
            {
                await _mqtt.PublishAsync(new MqttApplicationMessage(Topics.PlanSet(_root, gateway), PlanSetPayload.Write(message), MqttQualityOfService.AtLeastOnce, Retain: true), stoppingToken);
            }
            catch (MqttClientException ex)
            {
                _logger.LogWarning("Plans: set version {Version} for gateway {Gateway} not delivered to the broker ({Reason}); retrying.", setVersion, gateway, ex.Message);
                continue;
            }

            _lastSent[gateway] = now;
            if (sent is null || sent.Version != setVersion || _store.SentHash(gateway) != hash)
            {
                _store.Sent(gateway, setVersion, hash, now);
                _audit.Write("system", "plan.deliver", "sent", null, null, $"gateway {gateway}: plan set version {setVersion}, {list.Count} plan(s): {string.Join(", ", list.Select(p => p.Id))}");
            }

            _logger.LogInformation("Plans: set version {Version} ({Count} plan(s)) published for gateway {Gateway}.", setVersion, list.Count, gateway);
        }
    }

    private static string Hash(IEnumerable<IrrigationPlan> plans) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", plans.OrderBy(p => p.Id, StringComparer.Ordinal).Select(PlanStore.Json)))));

    /// <summary>A gateway's answer. Never throws on bad input: counted and logged.</summary>
    internal void HandleAnswer(string topic, ReadOnlySpan<byte> payload)
    {
        if (!PlanSetPayload.TryRead(payload, out PlanAppliedMessage? applied, out var error)
            || !Topics.TryParse(_root, topic, out var kind, out var range) || kind != TopicKind.PlanApplied || topic[range] != applied!.Gateway)
        {
            _malformed.Add(1);
            _logger.LogWarning("Plans: malformed answer on {Topic}: {Error}", topic, error ?? "gateway in the payload differs from the topic");
            return;
        }

        var before = _store.Sets().FirstOrDefault(s => s.Gateway == applied.Gateway);
        if (before is not null && before.AckedAt == applied.Ts && before.Status == applied.Status)
            return; // the retained answer again (a reconnect, a restart): already recorded
        if (!_store.Acknowledged(applied))
            return; // never sent by this server (or a retained answer from another deployment)
        if (applied is { Status: PlanApplyStatus.Refused, Reason: PlanRefusals.OldVersion })
            Changed(); // sent again above the version the gateway runs
        if (applied.Status == PlanApplyStatus.Refused)
        {
            _refused.Add(1);
            _logger.LogWarning("Security: gateway {Gateway} refused plan set version {Version} ({Reason}: {Detail}); it runs version {Running}.", applied.Gateway, applied.Version, applied.Reason, applied.Detail, applied.RunningVersion);
            _audit.Write("gateway:" + applied.Gateway, applied.Reason == PlanRefusals.BadSignature ? "plan.forged" : "plan.refused", CommandOutcomes.Rejected, null, null,
                $"plan set version {applied.Version}: {applied.Reason}: {applied.Detail}; running version {applied.RunningVersion}");
            if (applied.Reason == PlanRefusals.BadSignature)
            {
                var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                foreach (var station in _registry.All.Where(s => _keyring.GatewayOf(s.Id) == applied.Gateway))
                {
                    foreach (var listener in _forged)
                        listener.Forged(station.Id, applied.Gateway, now);
                }
            }
        }
        else if (before?.RunningVersion != applied.RunningVersion)
        {
            _audit.Write("gateway:" + applied.Gateway, "plan.applied", "succeeded", null, null, $"runs plan set version {applied.RunningVersion}{(applied.ClockTrusted ? "" : "; clock not trusted: " + applied.ClockProblem)}");
        }

        if (!applied.ClockTrusted && before?.ClockTrusted != false)
            _logger.LogWarning("Plans: gateway {Gateway} does not trust its clock and runs no plan: {Problem}", applied.Gateway, applied.ClockProblem);
    }
}
