using Irrigation.Server.Configuration;

namespace Irrigation.Server.Accounts;

/// <summary>A user created at start-up when no user of that name exists (first admin, demo users).</summary>
public sealed class BootstrapUser
{
    public string Username { get; set; } = "";

    public string? DisplayName { get; set; }

    public string Password { get; set; } = "";

    public string Role { get; set; } = "";
}

public sealed class AuthOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Auth";

    /// <summary>Users created at the first start (never overwritten later). No user exists otherwise: there is no default password.</summary>
    public List<BootstrapUser> Users { get; set; } = new();

    /// <summary>PBKDF2-SHA256 iterations for new password hashes (stored with each hash, so raising it is safe).</summary>
    public int PasswordIterations { get; set; } = 310_000;

    public int MinPasswordLength { get; set; } = 10;

    /// <summary>Cookie session lifetime, sliding.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Failed sign-ins within <see cref="LockoutWindow"/> that lock the account.</summary>
    public int LockoutFailures { get; set; } = 5;

    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-in attempts per client address per minute.</summary>
    public int SignInAttemptsPerMinute { get; set; } = 10;

    /// <summary>Send cookies only over HTTPS. Off by default because the stack listens on loopback HTTP; turn on behind TLS.</summary>
    public bool SecureCookies { get; set; }

    public void Validate()
    {
        if (PasswordIterations < 10_000)
            throw new ArgumentException("Irrigation:Auth:PasswordIterations must be at least 10000.");
        if (MinPasswordLength < 8)
            throw new ArgumentException("Irrigation:Auth:MinPasswordLength must be at least 8.");
        if (SessionLifetime < TimeSpan.FromMinutes(5) || TokenLifetime < TimeSpan.FromMinutes(5))
            throw new ArgumentException("Irrigation:Auth:SessionLifetime and TokenLifetime must be at least 5 minutes.");
        if (LockoutFailures < 1 || LockoutWindow <= TimeSpan.Zero || LockoutDuration <= TimeSpan.Zero)
            throw new ArgumentException("Irrigation:Auth:LockoutFailures, LockoutWindow and LockoutDuration must be positive.");
        if (SignInAttemptsPerMinute < 1)
            throw new ArgumentException("Irrigation:Auth:SignInAttemptsPerMinute must be positive.");
        foreach (var user in Users)
        {
            if (string.IsNullOrWhiteSpace(user.Username) || !Roles.IsValid(user.Role))
                throw new ArgumentException($"Irrigation:Auth:Users: '{user.Username}' needs a user name and a role ({string.Join(", ", Roles.All)}).");
            if (user.Password.Length < MinPasswordLength)
                throw new ArgumentException($"Irrigation:Auth:Users: the password of '{user.Username}' is shorter than {MinPasswordLength} characters.");
        }
    }
}
