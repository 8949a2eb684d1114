using System.Collections.Concurrent;
using Irrigation.Contracts;
using Irrigation.Gateway.Configuration;
using Irrigation.Mqtt.Client;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Publishing;

/// <summary>A station's communication state as published on {root}/{station}/status.</summary>
public sealed record StationStatus(string Station, string State, DateTimeOffset Since, DateTimeOffset Timestamp, string? Meter, string? Controller, string? Error);

/// <summary>
/// Publishes retained status messages: one per station (online / comms_lost) and one for the gateway (online;
/// its Last Will says offline). Status is state, not history, so it bypasses the outbox: only the latest
/// value matters, and every status is published again after each reconnect.
/// </summary>
public sealed class StatusPublisher
{
    private readonly GatewayOptions _options;
    private readonly IMqttClient _mqtt;
    private readonly ILogger<StatusPublisher> _logger;
    private readonly ConcurrentDictionary<string, StationStatus> _latest = new(StringComparer.Ordinal);

    public StatusPublisher(GatewayOptions options, IMqttClient mqtt, ILogger<StatusPublisher> logger)
    {
        _options = options;
        _mqtt = mqtt;
        _logger = logger;
        _mqtt.ConnectionStateChanged += e =>
        {
            if (e.State == MqttConnectionState.Connected)
                RepublishAll();
        };
    }

    /// <summary>The retained message the broker publishes if the gateway vanishes.</summary>
    public static MqttApplicationMessage Will(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new MqttApplicationMessage(Topics.GatewayStatus(options.TopicRoot, options.Id), StatusPayload.Write(new GatewayStatusMessage(options.Id, GatewayState.Offline, null)), MqttQualityOfService.AtLeastOnce, Retain: true);
    }

    public IReadOnlyDictionary<string, StationStatus> Latest => _latest;

    /// <summary>Records the station's state; publishes when it changed (or is new).</summary>
    public void Update(StationStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var changed = !_latest.TryGetValue(status.Station, out var previous)
            || previous.State != status.State || previous.Meter != status.Meter || previous.Controller != status.Controller;
        if (!changed)
            return;
        _latest[status.Station] = status;
        Send(Topics.StationStatus(_options.TopicRoot, status.Station), Payload(status));
    }

    private void RepublishAll()
    {
        Send(Topics.GatewayStatus(_options.TopicRoot, _options.Id), StatusPayload.Write(new GatewayStatusMessage(_options.Id, GatewayState.Online, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())));
        foreach (var status in _latest.Values)
            Send(Topics.StationStatus(_options.TopicRoot, status.Station), Payload(status));
    }

    private byte[] Payload(StationStatus s) => StatusPayload.Write(new StationStatusMessage(
        s.Station, _options.Id, s.State == "online" ? StationLink.Online : StationLink.CommsLost,
        s.Since.ToUnixTimeMilliseconds(), s.Timestamp.ToUnixTimeMilliseconds(), Link(s.Meter), Link(s.Controller), s.Error));

    private static DeviceLink? Link(string? state) => state switch
    {
        "good" => DeviceLink.Good,
        "comms_lost" => DeviceLink.CommsLost,
        _ => null,
    };

    private void Send(string topic, byte[] payload)
    {
        if (!_mqtt.IsConnected)
            return; // republished on reconnect
        _ = SendAsync(topic, payload);
    }

    private async Task SendAsync(string topic, byte[] payload)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _mqtt.PublishAsync(new MqttApplicationMessage(topic, payload, MqttQualityOfService.AtLeastOnce, Retain: true), timeout.Token);
        }
        catch (Exception ex) when (ex is MqttClientException or OperationCanceledException)
        {
            _logger.LogDebug("Status for {Topic} not delivered now ({Reason}); it is sent again after reconnect.", topic, ex.Message);
        }
    }
}
