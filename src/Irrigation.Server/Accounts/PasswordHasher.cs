using System.Globalization;
using System.Security.Cryptography;

namespace Irrigation.Server.Accounts;

/// <summary>
/// Salted, slow password hashes: PBKDF2 with HMAC-SHA256, a 16-byte random salt and a 32-byte key, stored as
/// <c>pbkdf2-sha256$iterations$salt$key</c> (base64), so the iteration count can be raised for new hashes while
/// old ones still verify. Comparison is constant-time.
/// </summary>
public static class PasswordHasher
{
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int KeyBytes = 32;

    public static string Hash(string password, int iterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var key = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, KeyBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(key)}");
    }

    /// <summary>True when the password matches; false for a wrong password or a malformed hash (never throws for either).</summary>
    public static bool Verify(string password, string stored)
    {
        ArgumentNullException.ThrowIfNull(password);
        var parts = (stored ?? "").Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
            return false;
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>A hash of a random password: verifying against it costs what a real check costs, so an unknown user name answers no faster.</summary>
    public static string Decoy(int iterations) => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)), iterations);
}
