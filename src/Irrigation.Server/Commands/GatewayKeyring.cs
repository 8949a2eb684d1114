using Irrigation.Contracts;
using Irrigation.Server.State;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Commands;

/// <summary>
/// Which gateway a station is behind and the key the server signs that gateway's commands and plans with: the first
/// of its keys in <see cref="CommandOptions.GatewayKeys"/> (docs/security.md).
/// </summary>
public sealed class GatewayKeyring
{
    private readonly StationRegistry _registry;
    private readonly Dictionary<string, (string Id, byte[] Secret)> _signingKeys;

    public GatewayKeyring(IOptions<CommandOptions> options, StationRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(options);
        _registry = registry;
        // Validated at start-up (CommandOptions.Validate): every secret parses. The first key of each gateway signs.
        _signingKeys = options.Value.GatewayKeys.Where(g => g.Value.Count > 0)
            .ToDictionary(g => g.Key, g => (g.Value[0].Id, CommandSignature.ParseKey(g.Value[0].Secret)!), StringComparer.Ordinal);
    }

    /// <summary>True when any gateway has keys (then an unsigned message is worth a warning).</summary>
    public bool AnyKeys => _signingKeys.Count > 0;

    /// <summary>Gateways the server holds keys for.</summary>
    public IEnumerable<string> KeyedGateways => _signingKeys.Keys;

    /// <summary>The station's gateway: its configuration's, else the one its retained status named; null when unknown.</summary>
    public string? GatewayOf(string station)
    {
        var entry = _registry.Find(station);
        if (entry is null)
            return null;
        if (entry.Gateway is { } configured)
            return configured;
        lock (entry.State.Sync)
            return entry.State.Gateway;
    }

    public (string Id, byte[] Secret)? SigningKey(string? gateway) =>
        gateway is not null && _signingKeys.TryGetValue(gateway, out var key) ? key : null;
}
