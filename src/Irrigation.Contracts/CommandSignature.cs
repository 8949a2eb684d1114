using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Irrigation.Contracts;

/// <summary>
/// Pump commands signed by the server with a key it shares with one gateway (HMAC-SHA256), so that broker credentials
/// alone — a cabinet's, a leaked password — cannot start a pump. The signature covers a canonical text of everything
/// the command means (docs/security.md):
/// <c>irrigation-command-v1\n{id}\n{station}\n{pump}\n{action}\n{issuedAt ms}\n{expiresAt ms}\n{requestedBy}</c>;
/// the station is the one in the topic the command arrived on, so a command cannot be moved to another station.
/// A repeated id is never acted on twice (the gateway's command journal), so a replayed command does nothing.
/// </summary>
public static class CommandSignature
{
    /// <summary>Keys are at least 256 bits.</summary>
    public const int MinKeyBytes = 32;

    public static byte[] Canonical(string station, CommandMessage command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"irrigation-command-v1\n{command.Id}\n{station}\n{command.Pump}\n{CommandPayload.Text(command.Action)}\n{command.IssuedAt?.ToUnixTimeMilliseconds() ?? 0}\n{command.ExpiresAt.ToUnixTimeMilliseconds()}\n{command.RequestedBy}");
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>The command with <paramref name="keyId"/> and its signature for <paramref name="station"/>.</summary>
    public static CommandMessage Sign(CommandMessage command, string station, string keyId, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(key);
        if (command.IssuedAt is null)
            throw new ArgumentException("a signed command needs IssuedAt", nameof(command));
        return command with { KeyId = keyId, Signature = Base64Url(HMACSHA256.HashData(key, Canonical(station, command))) };
    }

    /// <summary>Null when the command is signed for <paramref name="station"/> by one of <paramref name="keys"/>; else why not.</summary>
    public static string? Problem(CommandMessage command, string station, IReadOnlyDictionary<string, byte[]> keys)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(keys);
        if (command.Signature is null)
            return "the command is not signed";
        if (command.IssuedAt is null)
            return "a signed command must say when it was issued (issuedAt)";
        if (command.KeyId is null || !keys.TryGetValue(command.KeyId, out var key))
            return $"signed with key '{command.KeyId}', which this gateway does not hold";
        var expected = HMACSHA256.HashData(key, Canonical(station, command));
        var given = FromBase64Url(command.Signature);
        return given is not null && CryptographicOperations.FixedTimeEquals(expected, given) ? null : "the signature does not match the command";
    }

    /// <summary>A key from its configured text: base64 (standard or url-safe) of at least <see cref="MinKeyBytes"/> bytes; null otherwise.</summary>
    public static byte[]? ParseKey(string? text)
    {
        var key = text is null ? null : FromBase64Url(text.Trim().TrimEnd('=').Replace('+', '-').Replace('/', '_'));
        return key is { Length: >= MinKeyBytes } ? key : null;
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[]? FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
