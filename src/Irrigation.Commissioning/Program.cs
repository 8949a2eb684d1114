using System.CommandLine;
using System.Globalization;
using System.Net;
using Irrigation.Commissioning.Broker;
using Irrigation.Commissioning.Dlt645;
using Irrigation.Devices.Commissioning;
using Irrigation.Links;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Values;

// irrigation-probe: commissioning helpers for field engineers.
//   irrigation-probe word-order --endpoint 10.0.0.5:502 --address 8198 --scale 0.1 --min 180 --max 260
//   irrigation-probe meter-address --endpoint 10.0.0.5:8899
//   irrigation-probe mqtt-acl --output config/mosquitto.acl config/gateway.compose.json
//   MQTT_SERVER_PASSWORD=… irrigation-probe nats-auth --output config/cluster/nats-auth.conf config/cluster/gateway.compose.json

var endpoint = new Option<string>("--endpoint") { Description = "Modbus server HOST:PORT.", Required = true };
var framing = new Option<string>("--framing") { Description = "tcp (MBAP) or rtu (RTU over TCP, e.g. a serial server).", DefaultValueFactory = _ => "tcp" };
var unit = new Option<byte>("--unit") { Description = "Unit id / slave address.", DefaultValueFactory = _ => 1 };
var address = new Option<ushort>("--address") { Description = "First register of the value (decimal, 0-based PDU address).", Required = true };
var function = new Option<string>("--function") { Description = "holding (FC03) or input (FC04).", DefaultValueFactory = _ => "holding" };
var type = new Option<RegisterType>("--type") { Description = "Float32, Int32, UInt32, Float64, Int64 or UInt64.", DefaultValueFactory = _ => RegisterType.Float32 };
var scale = new Option<double>("--scale") { Description = "Multiplier from raw to the unit of --min/--max (e.g. 0.1 for DTSU666 voltages).", DefaultValueFactory = _ => 1.0 };
var min = new Option<double>("--min") { Description = "Lowest plausible value, e.g. 180 for a phase voltage in V.", Required = true };
var max = new Option<double>("--max") { Description = "Highest plausible value, e.g. 260.", Required = true };
var timeout = new Option<int>("--timeout-ms") { Description = "Response timeout.", DefaultValueFactory = _ => 1000 };

var wordOrder = new Command("word-order", "Read a 32/64-bit value and report which word order gives a plausible number.")
{
    endpoint, framing, unit, address, function, type, scale, min, max, timeout,
};
wordOrder.SetAction(async (parse, cancellationToken) =>
{
    if (!IPEndPoint.TryParse(parse.GetValue(endpoint)!, out var ep) || ep.Port == 0)
    {
        await Console.Error.WriteLineAsync("irrigation-probe: --endpoint must be HOST:PORT, e.g. 127.0.0.1:502.");
        return 2;
    }

    var framer = parse.GetValue(framing) switch
    {
        "tcp" => (IModbusFramer)ModbusTcpFramer.Instance,
        "rtu" => ModbusRtuFramer.Instance,
        _ => null,
    };
    var fn = parse.GetValue(function);
    var valueType = parse.GetValue(type);
    if (framer is null || fn is not ("holding" or "input") || valueType.RegisterCount() < 2)
    {
        await Console.Error.WriteLineAsync("irrigation-probe: --framing must be tcp or rtu, --function holding or input, --type a 32- or 64-bit type.");
        return 2;
    }

    var options = new ModbusClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(parse.GetValue(timeout)), Retries = 1 };
    await using var client = new ModbusClient(framer, new TcpStreamConnector(ep.Address.ToString(), ep.Port), options);
    ushort[] registers;
    try
    {
        var count = (ushort)valueType.RegisterCount();
        var unitId = parse.GetValue(unit);
        var start = parse.GetValue(address);
        registers = fn == "holding"
            ? await client.ReadHoldingRegistersAsync(unitId, start, count, cancellationToken)
            : await client.ReadInputRegistersAsync(unitId, start, count, cancellationToken);
    }
    catch (ModbusException ex)
    {
        await Console.Error.WriteLineAsync($"irrigation-probe: {ex.Message}");
        return 3;
    }

    var candidates = WordOrderProbe.Evaluate(registers, valueType, parse.GetValue(scale), parse.GetValue(min), parse.GetValue(max));
    var inv = CultureInfo.InvariantCulture;
    Console.WriteLine(string.Create(inv, $"registers {parse.GetValue(address)}..: {string.Join(' ', registers.Select(r => r.ToString("X4", inv)))}"));
    Console.WriteLine("order  value                 plausible");
    foreach (var c in candidates)
        Console.WriteLine(string.Create(inv, $"{c.Order,-6} {c.Value,-21:G9} {(c.Plausible ? "yes" : "no")}"));
    var verdict = WordOrderProbe.Verdict(candidates);
    if (verdict is { } order)
    {
        Console.WriteLine($"word order: {order}");
        return 0;
    }

    var plausible = candidates.Count(c => c.Plausible);
    Console.WriteLine(plausible == 0
        ? "word order: undecided — no order gives a value in range; check address, function, type and scale."
        : "word order: undecided — several orders are plausible; probe a register whose value is not near zero.");
    return 1;
});

var root = new RootCommand("Commissioning tools for irrigation pump stations: Modbus devices, DL/T 645 meters and broker accounts.") { wordOrder, MeterAddressCommand.Create(), MqttAclCommand.Create(), NatsAuthCommand.Create() };
return await root.Parse(args).InvokeAsync();
