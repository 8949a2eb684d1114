using System.Threading.Channels;
using Irrigation.Devices;
using Irrigation.Gateway.Commands;
using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Publishing;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Polling;

/// <summary>
/// Runs one station: polls its devices on the station's own schedule, publishes telemetry and status, and runs
/// queued commands between polls — so a command never interleaves with a poll on the link. A station that
/// stops answering is polled less often (doubling up to a minute) and never holds up other stations.
/// </summary>
public sealed class StationWorker
{
    public const int CommandQueueCapacity = 8;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private readonly StationDefinition _station;
    private readonly PolledDevice? _meter;
    private readonly PolledDevice.ModbusDevice? _controller;
    private readonly TelemetryPublisher _telemetry;
    private readonly StatusPublisher _status;
    private readonly CommandExecutor _executor;
    private readonly GatewayCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<PumpCommand> _commands = Channel.CreateBounded<PumpCommand>(new BoundedChannelOptions(CommandQueueCapacity) { SingleReader = true });
    private DateTimeOffset _onlineSince;
    private int _failures;

    public StationWorker(StationDefinition station, FieldLinks links, TelemetryPublisher telemetry, StatusPublisher status, CommandExecutor executor, GatewayCounters counters, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(station);
        ArgumentNullException.ThrowIfNull(links);
        _station = station;
        _telemetry = telemetry;
        _status = status;
        _executor = executor;
        _counters = counters;
        _time = time;
        _logger = logger;
        _meter = station.Meter is null ? null : PolledDevice.Meter(station, links);
        _controller = station.Controller is null ? null
            : new PolledDevice.ModbusDevice(new DeviceReader(station.Controller, station.PumpCount), links.Modbus(station.ControllerEndpoint, station.Settings.RequestTimeout), station.ControllerUnitId);
    }

    public StationDefinition Station => _station;

    public StationPublishState PublishState { get; } = new();

    /// <summary>Queues a command; false when the queue is full.</summary>
    public bool TryEnqueue(PumpCommand command) => _commands.Writer.TryWrite(command);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var interval = _station.Settings.PollInterval;
        var nextPoll = _time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = nextPoll - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
                await WaitForCommandOrTimeAsync(wait, cancellationToken);
            while (_commands.Reader.TryRead(out var command))
                await _executor.ExecuteAsync(_station, _controller?.Link, _controller?.Reader, command, cancellationToken);
            if (_time.GetUtcNow() < nextPoll)
                continue;

            var reading = await PollAsync(cancellationToken);
            _telemetry.Publish(_station, reading, PublishState);
            UpdateStatus(reading);
            if (reading.AnyGood)
            {
                _failures = 0;
                nextPoll += interval;
                var now = _time.GetUtcNow();
                if (nextPoll < now)
                    nextPoll = now + interval; // fell behind (slow link): skip, never burst
            }
            else
            {
                _failures++;
                var backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, interval.Ticks * (1L << Math.Min(_failures, 16))));
                nextPoll = _time.GetUtcNow() + backoff;
            }
        }
    }

    private async Task WaitForCommandOrTimeAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            await _commands.Reader.WaitToReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Poll time reached.
        }
    }

    /// <summary>Reads every device of the station once; a failing device marks its data comms-lost, not the whole poll.</summary>
    public async Task<StationReading> PollAsync(CancellationToken cancellationToken)
    {
        var timestamp = _time.GetUtcNow();
        var values = new List<QuantityValue>();
        DeviceQuality? meterQuality = null, controllerQuality = null;
        string? error = null;
        if (_meter is not null)
            (meterQuality, error) = await ReadAsync(_meter, values, error, cancellationToken);
        if (_controller is not null)
            (controllerQuality, error) = await ReadAsync(_controller, values, error, cancellationToken);
        var reading = new StationReading(timestamp, values, meterQuality, controllerQuality, error);
        _counters.Poll(reading.AnyGood);
        return reading;
    }

    private async Task<(DeviceQuality, string?)> ReadAsync(PolledDevice device, List<QuantityValue> values, string? error, CancellationToken cancellationToken)
    {
        try
        {
            values.AddRange(await device.ReadAsync(cancellationToken));
            return (DeviceQuality.Good, error);
        }
        catch (Exception ex) when (PolledDevice.IsNoAnswer(ex))
        {
            if (_failures == 0)
                _logger.LogWarning("Station {Station}: {Profile} ({Address}) did not answer: {Reason}", _station.Id, device.Profile.Id, device.Address, ex.Message);
            return (DeviceQuality.CommsLost, error ?? ex.Message);
        }
    }

    private void UpdateStatus(StationReading reading)
    {
        var state = reading.AnyGood ? "online" : "comms_lost";
        var previous = _status.Latest.GetValueOrDefault(_station.Id);
        if (previous?.State != state)
            _onlineSince = reading.Timestamp;
        _status.Update(new StationStatus(
            _station.Id, state, _onlineSince, reading.Timestamp,
            reading.Meter is null ? null : reading.Meter == DeviceQuality.Good ? "good" : "comms_lost",
            reading.Controller is null ? null : reading.Controller == DeviceQuality.Good ? "good" : "comms_lost",
            reading.AnyGood ? null : reading.Error));
    }
}
