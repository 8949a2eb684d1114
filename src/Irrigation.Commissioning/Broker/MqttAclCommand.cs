using System.CommandLine;
using Irrigation.Gateway.Configuration;

namespace Irrigation.Commissioning.Broker;

/// <summary>
/// <c>irrigation-probe mqtt-acl [--output FILE] GATEWAY_CONFIG...</c>: the broker's ACL file from the gateway
/// configurations — one account per gateway (its mqtt.username) limited to its own stations, and the server's
/// (docs/security.md). Exit 2 naming the file and key when a configuration cannot give an account.
/// </summary>
internal static class MqttAclCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--output") { Description = "Where to write the ACL (replaced atomically); standard output if absent." };
        var serverUser = new Option<string>("--server-user") { Description = "The server's broker account.", DefaultValueFactory = _ => BrokerAccount.DefaultServerUsername };
        var configs = new Argument<string[]>("gateway-config") { Description = "Gateway configuration files (gateway.json), one per gateway.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("mqtt-acl", "Write the mosquitto ACL file for the gateways' and the server's broker accounts.") { output, serverUser, configs };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var files = parse.GetValue(configs)!;
            string acl;
            try
            {
                var gateways = files.Select(f => (f, GatewayConfigurationFile.Bind(f))).ToArray();
                acl = MosquittoAcl.Write(BrokerAccount.ForDeployment(gateways, parse.GetValue(serverUser)!), files);
            }
            catch (GatewayConfigurationException ex)
            {
                await Console.Error.WriteLineAsync($"irrigation-probe mqtt-acl: {ex.Message}");
                return 2;
            }

            if (parse.GetValue(output) is not { } path)
            {
                await Console.Out.WriteAsync(acl);
                return 0;
            }

            // A broker reloading its ACL (SIGHUP) never reads half a file.
            var temporary = path + ".tmp";
            await File.WriteAllTextAsync(temporary, acl, cancellationToken);
            File.Move(temporary, path, overwrite: true);
            await Console.Error.WriteLineAsync($"irrigation-probe mqtt-acl: wrote {path} ({files.Length} gateway(s))");
            return 0;
        });
        return command;
    }
}
