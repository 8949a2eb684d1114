using System.CommandLine;
using System.Globalization;
using System.Net;
using Irrigation.Dlt645.Client;
using Irrigation.Dlt645.Values;

namespace Irrigation.Commissioning.Dlt645;

/// <summary>
/// <c>irrigation-probe meter-address</c>: asks the single DL/T 645 meter on a line for its address (13H to
/// AAAAAAAAAAAA, §6.3 of DL/T 645-2007) and proves it by reading its phase A voltage and forward energy at that address,
/// so the number goes into the gateway configuration (<c>meter.address</c>) checked, not copied from a faded nameplate.
/// </summary>
internal static class MeterAddressCommand
{
    public static Command Create()
    {
        var endpoint = new Option<string>("--endpoint") { Description = "Serial server (transparent mode) HOST:PORT the meter's RS-485 line is on.", Required = true };
        var timeout = new Option<int>("--timeout-ms") { Description = "Reply timeout; 2400 baud and a cellular hop need ~2000.", DefaultValueFactory = _ => 2000 };
        var command = new Command("meter-address", "Read the address of the one DL/T 645 meter on a line (broadcast 13H), then read two values at that address to confirm it.")
        {
            endpoint, timeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!IPEndPoint.TryParse(parse.GetValue(endpoint)!, out var ep) || ep.Port == 0)
            {
                await Console.Error.WriteLineAsync("irrigation-probe: --endpoint must be HOST:PORT, e.g. 127.0.0.1:8899.");
                return 2;
            }

            var options = new Dlt645ClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(Math.Max(1, parse.GetValue(timeout))), Retries = 1 };
            await using var client = Dlt645Client.CreateTcp(ep.Address.ToString(), ep.Port, options);
            try
            {
                var address = await client.ReadAddressAsync(cancellationToken);
                Console.WriteLine($"meter address: {address}");
                var voltage = await client.ReadValueAsync(address, Dlt645Quantities.VoltageA, cancellationToken);
                var energy = await client.ReadValueAsync(address, Dlt645Quantities.ForwardActiveEnergy, cancellationToken);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"confirmed: phase A voltage {Shown(voltage, Dlt645Quantities.VoltageA)} V, forward active energy {Shown(energy, Dlt645Quantities.ForwardActiveEnergy)} kWh (read at {address})"));
                Console.WriteLine($"gateway configuration: \"meter\": {{ \"profile\": \"dlt645-2007-three-phase\", \"address\": \"{address}\", \"endpoint\": {{ \"type\": \"tcp\", \"host\": \"{ep.Address}\", \"port\": {ep.Port} }} }}");
                return 0;
            }
            catch (Dlt645TimeoutException ex)
            {
                await Console.Error.WriteLineAsync($"irrigation-probe: {ex.Message} With several meters on one line their replies collide: probe each meter alone.");
                return 3;
            }
            catch (Dlt645Exception ex)
            {
                await Console.Error.WriteLineAsync($"irrigation-probe: {ex.Message}");
                return 3;
            }
        });
        return command;
    }

    /// <summary>As the meter's display shows it: every digit of the format (230.0 V, not 230).</summary>
    private static string Shown(decimal value, Dlt645Quantity quantity) =>
        value.ToString("F" + quantity.Format.FractionDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
