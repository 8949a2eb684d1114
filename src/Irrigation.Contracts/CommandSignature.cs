using System.Buffers.Text;
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
        return command with { KeyId = keyId, Signature = Base64Url.EncodeToString(HMACSHA256.HashData(key, Canonical(station, command))) };
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
        // TryDecodeFromChars throws on characters outside the alphabet: check first (a forged "sig" may hold anything).
        Span<byte> given = stackalloc byte[64];
        return Base64Url.IsValid(command.Signature, out var size) && size <= given.Length
            && Base64Url.TryDecodeFromChars(command.Signature, given, out var length) && CryptographicOperations.FixedTimeEquals(expected, given[..length])
            ? null
            : "the signature does not match the command";
    }

    /// <summary>A key from its configured text: base64 (standard, as <c>openssl rand -base64 32</c> prints, or url-safe) of at least <see cref="MinKeyBytes"/> bytes; null otherwise.</summary>
    public static byte[]? ParseKey(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var trimmed = text.Trim();
        Span<byte> buffer = stackalloc byte[256];
        int length;
        if (!Convert.TryFromBase64String(trimmed, buffer, out length)
            && !(Base64Url.IsValid(trimmed, out var size) && size <= buffer.Length && Base64Url.TryDecodeFromChars(trimmed, buffer, out length)))
            return null;
        return length >= MinKeyBytes ? buffer[..length].ToArray() : null;
    }
}
