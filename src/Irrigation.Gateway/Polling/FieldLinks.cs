using Irrigation.Devices;
using Irrigation.Dlt645.Client;
using Irrigation.Dlt645.Diagnostics;
using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Dtu;
using Irrigation.Links;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Polling;

/// <summary>
/// One client per physical link, Modbus or DL/T 645. Devices that share an endpoint (units behind one serial server
/// or DTU, meters on one DL/T 645 bus) share its client, whose queue keeps one request at a time on the line.
/// </summary>
public sealed class FieldLinks : IAsyncDisposable
{
    private readonly Dictionary<string, ModbusClient> _modbus = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dlt645Client> _dlt645 = new(StringComparer.Ordinal);
    private readonly DtuRegistry _dtus;
    private readonly ILoggerFactory _loggers;
    private readonly byte[] _heartbeat;

    public FieldLinks(DtuRegistry dtus, GatewayOptions options, ILoggerFactory loggers)
    {
        _dtus = dtus;
        _loggers = loggers;
        _heartbeat = System.Text.Encoding.ASCII.GetBytes(options.DtuListener?.Heartbeat ?? "HB\r\n");
        _dtus.BeforeRegister = DropStaleDtuLinkAsync;
    }

    public ModbusCounters Counters { get; } = new();

    public Dlt645Counters Dlt645Counters { get; } = new();

    /// <summary>A DTU came back on a new connection: the old one is dead even if no FIN arrived, so drop it.</summary>
    private async Task DropStaleDtuLinkAsync(string dtuId)
    {
        var key = $"dtu:{dtuId}";
        ModbusClient? modbus;
        Dlt645Client? dlt645;
        lock (_modbus)
        {
            _modbus.TryGetValue(key, out modbus);
            _dlt645.TryGetValue(key, out dlt645);
        }

        if (modbus is not null)
        {
            await modbus.DisconnectAsync();
            modbus.ResetBackoff();
        }

        if (dlt645 is not null)
            await dlt645.DisconnectAsync();
    }

    /// <summary>The Modbus client of <paramref name="endpoint"/>.</summary>
    public IModbusMaster Modbus(EndpointSettings endpoint, TimeSpan requestTimeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return Shared(_modbus, StationDefinition.LinkKey(endpoint, DeviceProtocol.Modbus), () =>
        {
            var options = new ModbusClientOptions
            {
                RequestTimeout = requestTimeout,
                Retries = 1,
                ReconnectDelay = TimeSpan.FromSeconds(1),
                MaxReconnectDelay = TimeSpan.FromSeconds(30),
            };
            var logger = _loggers.CreateLogger<ModbusClient>();
            return endpoint.Type == "dtu"
                ? new ModbusClient(new DtuRtuFramer(_heartbeat), Dtu(endpoint), options, logger, Counters)
                : new ModbusClient(endpoint.Framing == "rtu" ? ModbusRtuFramer.Instance : ModbusTcpFramer.Instance, new TcpStreamConnector(endpoint.Host, endpoint.Port), options, logger, Counters);
        });
    }

    /// <summary>The DL/T 645 client of <paramref name="endpoint"/>; on a DTU link the DTU's heartbeats are skipped between frames.</summary>
    public Dlt645Client Dlt645(EndpointSettings endpoint, TimeSpan requestTimeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return Shared(_dlt645, StationDefinition.LinkKey(endpoint, DeviceProtocol.Dlt645), () =>
        {
            var options = new Dlt645ClientOptions
            {
                RequestTimeout = requestTimeout,
                Retries = 1,
                Heartbeat = endpoint.Type == "dtu" ? _heartbeat : null,
            };
            IStreamConnector connector = endpoint.Type == "dtu" ? Dtu(endpoint) : new TcpStreamConnector(endpoint.Host, endpoint.Port);
            return new Dlt645Client(connector, options, _loggers.CreateLogger<Dlt645Client>(), Dlt645Counters);
        });
    }

    /// <summary>The client already made for <paramref name="key"/>, or a new one: one per line.</summary>
    private T Shared<T>(Dictionary<string, T> clients, string key, Func<T> create)
    {
        lock (_modbus)
        {
            if (!clients.TryGetValue(key, out var client))
                clients[key] = client = create();
            return client;
        }
    }

    private DelegateStreamConnector Dtu(EndpointSettings endpoint) =>
        new($"dtu {endpoint.DtuId}", ct => _dtus.TakeAsync(endpoint.DtuId!, ct));

    public async ValueTask DisposeAsync()
    {
        List<IAsyncDisposable> clients;
        lock (_modbus)
            clients = [.. _modbus.Values, .. _dlt645.Values];
        foreach (var client in clients)
            await client.DisposeAsync();
    }
}
