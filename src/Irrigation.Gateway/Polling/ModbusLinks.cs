using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Dtu;
using Irrigation.Links;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Polling;

/// <summary>
/// One Modbus client per physical link. Stations that share an endpoint (units behind one serial server or DTU)
/// share its client, whose queue keeps one request at a time on the link.
/// </summary>
public sealed class ModbusLinks : IAsyncDisposable
{
    private readonly Dictionary<string, ModbusClient> _clients = new(StringComparer.Ordinal);
    private readonly DtuRegistry _dtus;
    private readonly ILoggerFactory _loggers;
    private readonly byte[] _heartbeat;

    public ModbusLinks(DtuRegistry dtus, GatewayOptions options, ILoggerFactory loggers)
    {
        _dtus = dtus;
        _loggers = loggers;
        _heartbeat = System.Text.Encoding.ASCII.GetBytes(options.DtuListener?.Heartbeat ?? "HB\r\n");
        _dtus.BeforeRegister = DropStaleDtuLinkAsync;
    }

    /// <summary>A DTU came back on a new connection: the old one is dead even if no FIN arrived, so drop it.</summary>
    private async Task DropStaleDtuLinkAsync(string dtuId)
    {
        ModbusClient? client;
        lock (_clients)
            _clients.TryGetValue($"dtu:{dtuId}", out client);
        if (client is not null)
        {
            await client.DisconnectAsync();
            client.ResetBackoff();
        }
    }

    public ModbusCounters Counters { get; } = new();

    public IModbusMaster For(StationSettings station)
    {
        ArgumentNullException.ThrowIfNull(station);
        var e = station.Endpoint;
        var key = e.Type == "dtu" ? $"dtu:{e.DtuId}" : $"{e.Framing}://{e.Host}:{e.Port}";
        lock (_clients)
        {
            if (_clients.TryGetValue(key, out var existing))
                return existing;
            var options = new ModbusClientOptions
            {
                RequestTimeout = station.RequestTimeout,
                Retries = 1,
                ReconnectDelay = TimeSpan.FromSeconds(1),
                MaxReconnectDelay = TimeSpan.FromSeconds(30),
            };
            var logger = _loggers.CreateLogger<ModbusClient>();
            var client = e.Type == "dtu"
                ? new ModbusClient(new DtuRtuFramer(_heartbeat), new DelegateStreamConnector($"dtu {e.DtuId}", ct => _dtus.TakeAsync(e.DtuId!, ct)), options, logger, Counters)
                : new ModbusClient(e.Framing == "rtu" ? ModbusRtuFramer.Instance : ModbusTcpFramer.Instance, new TcpStreamConnector(e.Host, e.Port), options, logger, Counters);
            _clients[key] = client;
            return client;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ModbusClient> clients;
        lock (_clients)
            clients = _clients.Values.ToList();
        foreach (var client in clients)
            await client.DisposeAsync();
    }
}
