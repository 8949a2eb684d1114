using Irrigation.Gateway.Configuration;
using Irrigation.Server.Configuration;

namespace Irrigation.Server.Commands;

public sealed class CommandOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Commands";

    /// <summary>How long a pump command may wait before it is acted on; the gateway refuses it after that (expired).</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After expiry, how long to wait for the gateway's result before the command is timed out.</summary>
    public TimeSpan ResultGrace { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Command keys by gateway id (docs/security.md): the server signs each command with the first key of the station's
    /// gateway, which holds the same keys (<c>commands.keys</c> in its configuration). During a key change-over the
    /// gateway holds the old and the new key and the server is switched to the new one; then the old one is removed.
    /// </summary>
    public Dictionary<string, List<CommandKeySettings>> GatewayKeys { get; set; } = new(StringComparer.Ordinal);

    public void Validate()
    {
        foreach (var (gateway, keys) in GatewayKeys)
        {
            if (keys.Count == 0)
                throw new ArgumentException($"Irrigation:Commands:GatewayKeys:{gateway} lists no key.");
            if (CommandKeySettings.FirstProblem(keys) is { } key)
                throw new ArgumentException($"Irrigation:Commands:GatewayKeys:{gateway}:{key.Index}:{(key.Field == "id" ? "Id" : "Secret")} {key.Problem}.");
        }

        if (Lifetime < TimeSpan.FromSeconds(2) || Lifetime > TimeSpan.FromMinutes(10))
            throw new ArgumentException("Irrigation:Commands:Lifetime must be 2 s..10 min.");
        if (ResultGrace < TimeSpan.FromSeconds(1) || ResultGrace > TimeSpan.FromMinutes(10))
            throw new ArgumentException("Irrigation:Commands:ResultGrace must be 1 s..10 min.");
    }
}
