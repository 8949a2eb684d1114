using Irrigation.Contracts;
using Irrigation.Gateway.Commands;
using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Polling;
using Irrigation.Gateway.Publishing;
using Irrigation.Gateway.Schedule;
using Irrigation.Mqtt.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway;

/// <summary>
/// The gateway's main loop: connects to the broker (retrying in the background, so polling and buffering
/// start even when the broker is down), subscribes to commands, runs one <see cref="StationWorker"/> per
/// station, and routes each command to its station.
/// </summary>
public sealed class GatewayService : BackgroundService
{
    private readonly GatewayOptions _options;
    private readonly IReadOnlyList<StationDefinition> _stations;
    private readonly IMqttClient _mqtt;
    private readonly FieldLinks _links;
    private readonly TelemetryPublisher _telemetry;
    private readonly StatusPublisher _status;
    private readonly CommandExecutor _executor;
    private readonly Outbox _outbox;
    private readonly PublishHistory _history;
    private readonly RepairResponder _repairs;
    private readonly GatewayCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<GatewayService> _logger;
    private readonly Dictionary<string, StationWorker> _workers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _commandKeys;

    private readonly StationQueues _queues;
    private readonly PlanStore _plans;
    private readonly ClockTrust _clock;

    public GatewayService(GatewayOptions options, IReadOnlyList<StationDefinition> stations, IMqttClient mqtt, FieldLinks links, TelemetryPublisher telemetry, StatusPublisher status, CommandExecutor executor, Outbox outbox, PublishHistory history, RepairResponder repairs, GatewayCounters counters, TimeProvider time, ILoggerFactory loggers, StationQueues queues, PlanStore plans, ClockTrust clock)
    {
        _queues = queues;
        _plans = plans;
        _clock = clock;
        ArgumentNullException.ThrowIfNull(options);
        _commandKeys = options.Commands.KeyTable();
        _options = options;
        _stations = stations;
        _mqtt = mqtt;
        _links = links;
        _telemetry = telemetry;
        _status = status;
        _executor = executor;
        _outbox = outbox;
        _history = history;
        _repairs = repairs;
        _counters = counters;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<GatewayService>();
    }

    public IReadOnlyDictionary<string, StationWorker> Workers => _workers;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The larger of: what the outbox still holds, the file saved every minute, and the history (written with each
        // message, so after a kill -9 it is the newest) — numbers never repeat within an epoch.
        var sequences = TelemetryPublisher.RecoverSequences(_outbox);
        var saved = SequenceFile.Read(_options);
        var kept = _history.NewestSequences();
        var workerLogger = _loggers.CreateLogger<StationWorker>();
        foreach (var station in _stations)
        {
            var worker = new StationWorker(station, _links, _telemetry, _status, _executor, _counters, _time, workerLogger);
            worker.PublishState.Sequence = Math.Max(Math.Max(sequences.GetValueOrDefault(station.Id), saved.GetValueOrDefault(station.Id)), kept.GetValueOrDefault(station.Id));
            _workers[station.Id] = worker;
            _queues.Add(worker);
        }

        _logger.LogInformation("Gateway {Id}: {Count} station(s), {Pending} message(s) waiting in the outbox, telemetry epoch {Epoch}, history {Bytes} bytes.", _options.Id, _stations.Count, _outbox.Pending, _history.Epoch, _history.Bytes);
        var tasks = new List<Task> { ConnectAndListenAsync(stoppingToken), StatsLoopAsync(stoppingToken) };
        tasks.AddRange(_workers.Values.Select(w => RunWorkerAsync(w, stoppingToken)));
        try
        {
            await Task.WhenAll(tasks);
        }
        finally
        {
            SequenceFile.Write(_options, _workers.Values);
            await AnnounceOfflineAsync();
        }
    }

    /// <summary>
    /// A planned stop ends with DISCONNECT, after which the broker discards the Last Will; without this message the
    /// retained status would say "online" and the server would keep offering its stations for commands.
    /// </summary>
    private async Task AnnounceOfflineAsync()
    {
        if (!_mqtt.IsConnected)
            return; // the broker publishes the Will when the connection drops
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await _mqtt.PublishAsync(StatusPublisher.Will(_options), timeout.Token);
            _logger.LogInformation("Gateway {Id}: announced offline.", _options.Id);
        }
        catch (Exception ex) when (ex is OperationCanceledException or MqttClientException)
        {
            _logger.LogWarning("Gateway {Id}: could not announce offline ({Reason}); stations show online until their data goes stale.", _options.Id, ex.Message);
        }
    }

    private async Task RunWorkerAsync(StationWorker worker, CancellationToken stoppingToken)
    {
        try
        {
            await worker.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _logger.LogDebug("Station {Station} stopped.", worker.Station.Id);
        }
    }

    private async Task ConnectAndListenAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _mqtt.ConnectAsync(stoppingToken);
                break;
            }
            catch (MqttConnectException ex)
            {
                var level = ex.ReturnCode is MqttConnectReturnCode.BadUsernameOrPassword or MqttConnectReturnCode.NotAuthorized ? LogLevel.Error : LogLevel.Warning;
                _logger.Log(level, "Broker {Brokers}: {Reason}; retrying in {Delay:0} s (telemetry is buffered on disk meanwhile).", Brokers, ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromSeconds(Math.Min(60, delay.TotalSeconds * 2));
            }
        }

        if (stoppingToken.IsCancellationRequested)
            return;
        // Each own station's command topic and the own repair topic, nothing wider: the broker's ACL allows no more (docs/security.md).
        var filters = _stations.Select(s => new MqttTopicFilter(Topics.Command(_options.TopicRoot, s.Id), MqttQualityOfService.AtLeastOnce))
            .Append(new MqttTopicFilter(Topics.RepairRequest(_options.TopicRoot, _options.Id), MqttQualityOfService.AtLeastOnce))
            .Append(new MqttTopicFilter(Topics.PlanSet(_options.TopicRoot, _options.Id), MqttQualityOfService.AtLeastOnce))
            .Append(new MqttTopicFilter(Topics.ServerTime(_options.TopicRoot), MqttQualityOfService.AtMostOnce))
            .ToList();
        try
        {
            await _mqtt.SubscribeAsync(filters, stoppingToken);
        }
        catch (MqttClientException ex)
        {
            // Remembered by the client and asked for again until granted (a NATS node refuses or stalls a SUBSCRIBE while
            // JetStream elects a leader): reading must start anyway.
            _logger.LogWarning("Command subscription not confirmed yet ({Reason}); the client retries it.", ex.Message);
        }

        try
        {
            await foreach (var message in _mqtt.Messages.ReadAllAsync(stoppingToken))
                Dispatch(message);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _logger.LogDebug("Command listener stopping.");
        }
    }

    /// <summary>Routes a command to its station and a repair request to the <see cref="RepairResponder"/>; malformed commands are counted, logged and answered when they carry an id.</summary>
    private void Dispatch(MqttReceivedMessage message)
    {
        if (message.Topic == Topics.ServerTime(_options.TopicRoot))
        {
            if (ServerTimePayload.TryRead(message.Payload.Span, out var serverMs))
                _clock.ServerTime(serverMs);
            return;
        }

        if (!Topics.TryParse(_options.TopicRoot, message.Topic, out var kind, out var range))
            return;
        if (kind == TopicKind.RepairRequest && message.Topic.AsSpan()[range].SequenceEqual(_options.Id))
        {
            _repairs.TryAccept(message.Payload);
            return;
        }

        if (kind == TopicKind.PlanSet && message.Topic.AsSpan()[range].SequenceEqual(_options.Id))
        {
            _plans.Offer(message.Payload.Span);
            return;
        }

        if (kind != TopicKind.Command || !_workers.TryGetValue(message.Topic[range], out var worker))
            return; // another gateway's station
        var station = message.Topic[range];
        _counters.CommandReceived();
        var command = PumpCommandParser.Parse(station, message.Payload.Span, _time.GetUtcNow(), _commandKeys, out var id, out var error, out var forged);
        // Refusals are logged one by one only while they are answered: a flood is summed up by the executor's budget,
        // so it cannot fill the gateway's disk with log lines either.
        if (forged is not null)
        {
            _counters.CommandInvalid();
            if (_executor.RejectForged(forged, error!))
                _logger.LogWarning("Refused command {Id} on {Topic} ({Action} pump {Pump}): {Problem}. Forged or altered; not acted on.", forged.Id, message.Topic, forged.Action, forged.Pump, error);
            return;
        }

        if (command is null)
        {
            _counters.CommandInvalid();
            if (id is null ? _executor.TryReportRefusal() : _executor.RejectUnparsed(station, id, error!))
                _logger.LogWarning("Invalid command on {Topic}: {Error}. Payload: {Sample}", message.Topic, error, Sample(message.Payload));
            return;
        }

        if (!worker.TryEnqueue(command))
            _executor.RejectBusy(command);
    }

    private static string Sample(ReadOnlyMemory<byte> payload) =>
        System.Text.Encoding.UTF8.GetString(payload.Span[..Math.Min(payload.Length, 200)]);

    private string Brokers => _options.Mqtt.Brokers.Count > 0 ? string.Join(", ", _options.Mqtt.Brokers) : $"{_options.Mqtt.Host}:{_options.Mqtt.Port}";

    /// <summary>For the stats line: which broker, and whether the command subscriptions are in force (commands cannot arrive otherwise).</summary>
    private string BrokerState() => _mqtt.ConnectedBroker is { } broker
        ? $"connected to {broker}{(_mqtt.SubscriptionsGranted ? "" : ", subscriptions not granted yet")}"
        : "disconnected";

    private async Task StatsLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.StatsInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                SequenceFile.Write(_options, _workers.Values);
                _logger.LogInformation(
                    "Gateway {Id}: polls {Polls} (failed {Failed}), telemetry {Telemetry}, published {Published}, outbox {Pending} pending / {Dropped} dropped, broker {State}, modbus [{Modbus}], dl/t 645 [{Dlt645}]",
                    _options.Id, _counters.Polls, _counters.PollFailures, _counters.TelemetryMessages, _counters.Published, _outbox.Pending, _outbox.Dropped, BrokerState(), _links.Counters, _links.Dlt645Counters);
            }
        }
        catch (OperationCanceledException)
        {
            _logger.LogDebug("Stats loop stopping.");
        }
    }
}
