using System.CommandLine;
using Irrigation.Gateway.Configuration;

namespace Irrigation.Commissioning.Broker;

/// <summary>
/// <c>irrigation-probe nats-auth [--output FILE] GATEWAY_CONFIG...</c>: the NATS cluster's <c>authorization</c> block
/// from the gateway configurations — the same accounts and topic rights as <c>mqtt-acl</c> gives mosquitto, as NATS
/// users with bcrypt password hashes (docs/scale-out.md, "Broker accounts"). The gateways' passwords are their
/// configurations' <c>mqtt.password</c>; the server's comes from <c>MQTT_SERVER_PASSWORD</c>, as for scripts/mqtt-passwd.sh.
/// Exit 2 naming the file and key when a configuration cannot give an account.
/// </summary>
internal static class NatsAuthCommand
{
    public const string ServerPasswordVariable = "MQTT_SERVER_PASSWORD";

    public static Command Create()
    {
        var output = new Option<string?>("--output") { Description = "Where to write the block (replaced atomically, mode 600); standard output if absent." };
        var serverUser = new Option<string>("--server-user") { Description = "The server's account (MQTT and NATS).", DefaultValueFactory = _ => BrokerAccount.DefaultServerUsername };
        var stream = new Option<string>("--stream") { Description = "The MQTT layer's QoS 1 stream the server reads (Irrigation:SharedStream:Stream).", DefaultValueFactory = _ => SharedStreamGrant.DefaultStream };
        var consumer = new Option<string>("--consumer") { Description = "The servers' shared consumer (Irrigation:SharedStream:Consumer).", DefaultValueFactory = _ => SharedStreamGrant.DefaultConsumer };
        var cost = new Option<int>("--cost") { Description = "bcrypt work factor (4-16); every connect pays one comparison at this cost.", DefaultValueFactory = _ => 11 };
        var configs = new Argument<string[]>("gateway-config") { Description = "Gateway configuration files (gateway.json), one per gateway.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("nats-auth", $"Write the NATS cluster's authorization block for the gateways' and the server's accounts (server password from {ServerPasswordVariable}).")
        {
            output, serverUser, stream, consumer, cost, configs,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var files = parse.GetValue(configs)!;
            var server = parse.GetValue(serverUser)!;
            var workFactor = parse.GetValue(cost);
            string block;
            try
            {
                if (workFactor is < 4 or > 16)
                    throw new GatewayConfigurationException($"--cost must be 4..16, was {workFactor}.");
                var grant = new SharedStreamGrant(parse.GetValue(stream)!, parse.GetValue(consumer)!);
                if (!IsName(grant.Stream) || !IsName(grant.Consumer))
                    throw new GatewayConfigurationException("--stream and --consumer must be letters, digits, '$', '-' or '_'.");
                var serverPassword = Environment.GetEnvironmentVariable(ServerPasswordVariable);
                if (string.IsNullOrEmpty(serverPassword))
                    throw new GatewayConfigurationException($"{ServerPasswordVariable} is not set: it is the server's password ({server}).");
                var gateways = files.Select(f => (f, GatewayConfigurationFile.Bind(f))).ToArray();
                var accounts = BrokerAccount.ForDeployment(gateways, server);
                var passwords = new Dictionary<string, string>(StringComparer.Ordinal) { [server] = serverPassword };
                foreach (var (file, options) in gateways)
                {
                    // mosquitto also lets a gateway in by its client certificate alone; the NATS cluster here has no TLS listener.
                    if (string.IsNullOrEmpty(options.Mqtt.Password))
                        throw new GatewayConfigurationException($"{file}: mqtt.password: is required for the NATS cluster (it has no certificate login).");
                    passwords[options.Mqtt.Username!] = options.Mqtt.Password;
                }

                var hashes = passwords.ToDictionary(p => p.Key, p => BCrypt.Net.BCrypt.HashPassword(p.Value, workFactor), StringComparer.Ordinal);
                block = NatsAuthorization.Write(accounts, hashes, server, grant, files);
            }
            catch (GatewayConfigurationException ex)
            {
                await Console.Error.WriteLineAsync($"irrigation-probe nats-auth: {ex.Message}");
                return 2;
            }

            if (parse.GetValue(output) is not { } path)
            {
                await Console.Out.WriteAsync(block);
                return 0;
            }

            // A node reloading its configuration (SIGHUP) never reads half a file; the hashes are readable by the owner only.
            var temporary = path + ".tmp";
            var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            File.Delete(temporary); // the mode applies to a file being created
            await using (var file = new FileStream(temporary, fileOptions))
            await using (var writer = new StreamWriter(file))
                await writer.WriteAsync(block.AsMemory(), cancellationToken);
            File.Move(temporary, path, overwrite: true);
            await Console.Error.WriteLineAsync($"irrigation-probe nats-auth: wrote {path} ({files.Length} gateway(s) and {server})");
            return 0;
        });
        return command;
    }

    private static bool IsName(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '$' or '-' or '_');
}
