using System.Globalization;
using System.Text;
using Irrigation.Mqtt.Client;

// Usage: Irrigation.Mqtt.TestPeer <port> <client id> <will topic> <will payload>
// Connects to 127.0.0.1 with a QoS 1 Will, prints "CONNECTED", then waits until stdin closes (a test host that
// dies never leaves it behind) and disconnects cleanly. The Last Will test kills it before that.
if (args.Length != 4)
{
    await Console.Error.WriteLineAsync("usage: Irrigation.Mqtt.TestPeer <port> <client id> <will topic> <will payload>");
    return 2;
}

var options = new MqttClientOptions
{
    Port = int.Parse(args[0], CultureInfo.InvariantCulture),
    ClientId = args[1],
    CleanSession = true,
    KeepAlive = TimeSpan.FromSeconds(30),
    Will = new MqttApplicationMessage(args[2], Encoding.UTF8.GetBytes(args[3]), MqttQualityOfService.AtLeastOnce),
};

await using var client = new ReconnectingMqttClient(options);
try
{
    await client.ConnectAsync(CancellationToken.None);
}
catch (MqttConnectException ex)
{
    await Console.Error.WriteLineAsync($"connect failed: {ex.Message}");
    return 1;
}

Console.WriteLine("CONNECTED");
await Console.In.ReadToEndAsync();
await client.DisconnectAsync(CancellationToken.None);
return 0;
