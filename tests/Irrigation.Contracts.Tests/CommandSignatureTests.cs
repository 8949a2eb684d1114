using System.Security.Cryptography;
using System.Text;
using Irrigation.Contracts;

namespace Irrigation.Contracts.Tests;

/// <summary>The command signature: its exact canonical text, a fixed HMAC, and every field bound to it.</summary>
public sealed class CommandSignatureTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly Dictionary<string, byte[]> Keys = new(StringComparer.Ordinal) { ["k1"] = Key };

    private static CommandMessage Command() =>
        new("c-1", PumpAction.Start, 2, "operator", DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_030_000)) { IssuedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_000) };

    [Fact]
    public void Canonical_ExactText()
    {
        Assert.Equal("irrigation-command-v1\nc-1\nst001\n2\nstart\n1764000000000\n1764000030000\noperator", Encoding.UTF8.GetString(CommandSignature.Canonical("st001", Command())));
    }

    [Fact]
    public void Sign_IsHmacSha256OfTheCanonicalText_Base64UrlWithoutPadding_AndRoundTripsThroughThePayload()
    {
        var signed = CommandSignature.Sign(Command(), "st001", "k1", Key);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Key, CommandSignature.Canonical("st001", Command()))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(("k1", expected), (signed.KeyId, signed.Signature));
        Assert.Equal(43, signed.Signature!.Length);

        var json = Encoding.UTF8.GetString(CommandPayload.Write(signed));
        Assert.Equal($$"""{"id":"c-1","action":"start","pump":2,"requestedBy":"operator","expiresAt":1764000030000,"issuedAt":1764000000000,"keyId":"k1","sig":"{{expected}}"}""", json);
        var read = CommandPayload.Parse(Encoding.UTF8.GetBytes(json), out _, out var error);
        Assert.Null(error);
        Assert.Null(CommandSignature.Problem(read!, "st001", Keys));
    }

    [Fact]
    public void Problem_EveryFieldIsBound_UnsignedAndUnknownKeysRefused()
    {
        var signed = CommandSignature.Sign(Command(), "st001", "k1", Key);
        Assert.Null(CommandSignature.Problem(signed, "st001", Keys));
        foreach (var altered in new[]
                 {
                     signed with { Id = "c-2" }, signed with { Pump = 1 }, signed with { Action = PumpAction.Stop }, signed with { RequestedBy = "someone" },
                     signed with { ExpiresAt = signed.ExpiresAt.AddMinutes(10) }, signed with { IssuedAt = signed.IssuedAt!.Value.AddSeconds(1) },
                 })
        {
            Assert.Equal("the signature does not match the command", CommandSignature.Problem(altered, "st001", Keys));
        }

        Assert.Equal("the signature does not match the command", CommandSignature.Problem(signed, "st002", Keys)); // moved to another station
        Assert.Equal("the command is not signed", CommandSignature.Problem(Command(), "st001", Keys));
        Assert.Contains("does not hold", CommandSignature.Problem(signed with { KeyId = "k9" }, "st001", Keys), StringComparison.Ordinal);
        Assert.Equal("the signature does not match the command", CommandSignature.Problem(signed with { Signature = "!!not base64!!" }, "st001", Keys));
    }

    [Fact]
    public void ParseKey_Base64OrUrlSafe_AtLeast32Bytes()
    {
        var bytes = Enumerable.Range(250, 32).Select(i => (byte)i).ToArray();
        Assert.Equal(bytes, CommandSignature.ParseKey(Convert.ToBase64String(bytes)));
        Assert.Equal(bytes, CommandSignature.ParseKey(System.Buffers.Text.Base64Url.EncodeToString(bytes)));
        Assert.Null(CommandSignature.ParseKey(Convert.ToBase64String(new byte[31])));
        Assert.Null(CommandSignature.ParseKey("not a key"));
        Assert.Null(CommandSignature.ParseKey(null));
    }
}
