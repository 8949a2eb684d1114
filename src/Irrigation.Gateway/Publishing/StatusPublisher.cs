using System.Collections.Concurrent;
using System.Text.Json;
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

    public static string StationTopic(string root, string station) => $"{root}/{station}/status";

    public static string GatewayTopic(string root, string gateway) => $"{root}/gateways/{gateway}/status";

    /// <summary>The retained message the broker publishes if the gateway vanishes.</summary>
    public static MqttApplicationMessage Will(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new MqttApplicationMessage(GatewayTopic(options.TopicRoot, options.Id), JsonSerializer.SerializeToUtf8Bytes(new { gateway = options.Id, state = "offline" }, JsonWriting.Web), MqttQualityOfService.AtLeastOnce, Retain: true);
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
        Send(StationTopic(_options.TopicRoot, status.Station), Payload(status));
    }

    private void RepublishAll()
    {
        Send(GatewayTopic(_options.TopicRoot, _options.Id), JsonSerializer.SerializeToUtf8Bytes(new { gateway = _options.Id, state = "online", ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, JsonWriting.Web));
        foreach (var status in _latest.Values)
            Send(StationTopic(_options.TopicRoot, status.Station), Payload(status));
    }

    private byte[] Payload(StationStatus s) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        station = s.Station,
        gateway = _options.Id,
        state = s.State,
        since = s.Since.ToUnixTimeMilliseconds(),
        ts = s.Timestamp.ToUnixTimeMilliseconds(),
        meter = s.Meter,
        controller = s.Controller,
        error = s.Error,
    }, JsonWriting.Web);

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
