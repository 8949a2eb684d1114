using Microsoft.Extensions.Options;
using System.Security.Cryptography;
using Irrigation.Server.Configuration;
using Irrigation.Server.Data;
using System.Data.Common;

namespace Irrigation.Server.Accounts;

/// <summary>A user as the API shows it (never the hash).</summary>
public sealed record UserAccount(string Username, string DisplayName, string Role, bool Disabled, string SecurityStamp, long CreatedMs, long UpdatedMs);

public enum SignInStatus
{
    Succeeded,

    /// <summary>Unknown user, wrong password or disabled account: one answer for all, so names cannot be probed.</summary>
    InvalidCredentials,

    LockedOut,
}

public sealed record SignInResult(SignInStatus Status, UserAccount? User, DateTimeOffset? LockedUntil);

/// <summary>Why a user change was refused.</summary>
public sealed class UserChangeException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// Users in the server database: salted slow hashes, lock-out after repeated failures, a security stamp that changes with
/// the role, password or disabled flag (which ends existing sessions and tokens), and bearer tokens stored only
/// as SHA-256 hashes.
/// </summary>
public sealed class UserStore
{
    private readonly ServerDatabase _database;
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly Lazy<string> _decoy;

    public UserStore(ServerDatabase database, IOptions<AuthOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _database = database;
        _options = options.Value;
        _time = time;
        _decoy = new Lazy<string>(() => PasswordHasher.Decoy(_options.PasswordIterations));
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public void ValidateNew(string username, string role, string password)
    {
        if (string.IsNullOrWhiteSpace(username) || username.Length > 64 || username.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new UserChangeException("invalid_username", "A user name is 1-64 characters without spaces.");
        if (!Roles.IsValid(role))
            throw new UserChangeException("invalid_role", $"The role must be one of {string.Join(", ", Roles.All)}.");
        ValidatePassword(password);
    }

    private void ValidatePassword(string password)
    {
        if (password is null || password.Length < _options.MinPasswordLength || password.Length > 256)
            throw new UserChangeException("weak_password", $"A password is {_options.MinPasswordLength}-256 characters.");
    }

    /// <summary>Creates a user; throws <see cref="UserChangeException"/> for bad input or an existing name.</summary>
    public UserAccount Create(string username, string? displayName, string role, string password)
    {
        ValidateNew(username, role, password);
        var now = Now;
        using var connection = _database.Open();
        using var insert = connection.Command(
            "INSERT INTO users (username, display_name, role, password_hash, security_stamp, created_ms, updated_ms) VALUES (@u, @d, @r, @h, @s, @now, @now)",
            ("@u", username), ("@d", string.IsNullOrWhiteSpace(displayName) ? username : displayName), ("@r", role),
            ("@h", PasswordHasher.Hash(password, _options.PasswordIterations)), ("@s", NewStamp()), ("@now", now));
        try
        {
            insert.ExecuteNonQuery();
        }
        catch (DbException ex) when (_database.Dialect.IsUniqueViolation(ex))
        {
            throw new UserChangeException("user_exists", $"A user named '{username}' already exists.");
        }

        return Find(username)!;
    }

    public UserAccount? Find(string username)
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT username, display_name, role, disabled, security_stamp, created_ms, updated_ms FROM users WHERE lower(username) = lower(@u)", ("@u", username));
        using var reader = select.ExecuteReader();
        return reader.Read() ? ReadUser(reader) : null;
    }

    public IReadOnlyList<UserAccount> List()
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT username, display_name, role, disabled, security_stamp, created_ms, updated_ms FROM users ORDER BY lower(username), username");
        using var reader = select.ExecuteReader();
        var users = new List<UserAccount>();
        while (reader.Read())
            users.Add(ReadUser(reader));
        return users;
    }

    public int Count()
    {
        using var connection = _database.Open();
        using var count = connection.Command("SELECT count(*) FROM users");
        return Convert.ToInt32(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Changes a user; a new role, password or disabled flag also renews the security stamp (ending sessions).</summary>
    public UserAccount Update(string username, string? displayName, string? role, string? password, bool? disabled)
    {
        if (role is not null && !Roles.IsValid(role))
            throw new UserChangeException("invalid_role", $"The role must be one of {string.Join(", ", Roles.All)}.");
        if (password is not null)
            ValidatePassword(password);
        using var connection = _database.Open();
        // Whether the stamp renews is decided against the row as this statement finds it, not as read before: another
        // instance may change the role in between.
        using var update = connection.Command(
            """
            UPDATE users SET display_name = coalesce(@d, display_name), role = coalesce(@r, role),
                password_hash = coalesce(@h, password_hash), disabled = coalesce(@x, disabled),
                security_stamp = CASE WHEN (@r IS NOT NULL AND @r <> role) OR @h IS NOT NULL OR (@x IS NOT NULL AND @x <> disabled) THEN @s ELSE security_stamp END,
                failed_count = CASE WHEN @h IS NULL THEN failed_count ELSE 0 END,
                locked_until_ms = CASE WHEN @h IS NULL THEN locked_until_ms ELSE NULL END,
                updated_ms = @now
            WHERE lower(username) = lower(@u)
            """,
            ("@u", username), ("@d", displayName), ("@r", role), ("@h", password is null ? null : PasswordHasher.Hash(password, _options.PasswordIterations)),
            ("@x", disabled is null ? null : disabled.Value ? 1L : 0L), ("@s", NewStamp()), ("@now", Now));
        if (update.ExecuteNonQuery() == 0)
            throw new UserChangeException("user_not_found", $"No user named '{username}'.");
        return Find(username)!;
    }

    /// <summary>Checks a password with lock-out: after N failures within the window the account is locked for a while, right password or not.</summary>
    public SignInResult SignIn(string username, string password)
    {
        var now = Now;
        string? hash = null;
        long? lockedUntil = null;
        UserAccount? user = null;
        using var connection = _database.Open();
        using (var select = connection.Command(
                   "SELECT username, display_name, role, disabled, security_stamp, created_ms, updated_ms, password_hash, failed_count, first_failure_ms, locked_until_ms FROM users WHERE lower(username) = lower(@u)",
                   ("@u", username ?? "")))
        using (var reader = select.ExecuteReader())
        {
            if (reader.Read())
            {
                user = ReadUser(reader);
                hash = reader.GetString(7);
                lockedUntil = reader.NullableInt64(10);
            }
        }

        if (user is null)
        {
            PasswordHasher.Verify(password ?? "", _decoy.Value); // same cost as a real check
            return new SignInResult(SignInStatus.InvalidCredentials, null, null);
        }

        if (lockedUntil > now)
            return new SignInResult(SignInStatus.LockedOut, null, DateTimeOffset.FromUnixTimeMilliseconds(lockedUntil.Value));

        if (PasswordHasher.Verify(password ?? "", hash!) && !user.Disabled)
        {
            using var reset = connection.Command("UPDATE users SET failed_count = 0, first_failure_ms = NULL, locked_until_ms = NULL WHERE username = @u", ("@u", user.Username));
            reset.ExecuteNonQuery();
            return new SignInResult(SignInStatus.Succeeded, user, null);
        }

        // A failure: counted in the current window by one UPDATE, so failures arriving at several instances at once all
        // count; the Nth locks the account. A row another instance has just locked is left as it is (no row updated).
        var window = (long)_options.LockoutWindow.TotalMilliseconds;
        using var record = connection.Command(
            $"""
            UPDATE users SET
                failed_count = CASE WHEN {FailuresAfter} >= @n THEN 0 ELSE {FailuresAfter} END,
                first_failure_ms = CASE WHEN {FailuresAfter} >= @n THEN NULL WHEN {WindowOver} THEN @now ELSE first_failure_ms END,
                locked_until_ms = CASE WHEN {FailuresAfter} >= @n THEN @lock ELSE NULL END
            WHERE username = @u AND (locked_until_ms IS NULL OR locked_until_ms <= @now)
            RETURNING locked_until_ms
            """,
            ("@u", user.Username), ("@n", (long)_options.LockoutFailures), ("@now", now), ("@window", window), ("@lock", now + (long)_options.LockoutDuration.TotalMilliseconds));
        using var recorded = record.ExecuteReader();
        if (!recorded.Read())
        {
            recorded.Close();
            lockedUntil = LockedUntil(connection, user.Username);
            return lockedUntil is null
                ? new SignInResult(SignInStatus.InvalidCredentials, null, null)
                : new SignInResult(SignInStatus.LockedOut, null, DateTimeOffset.FromUnixTimeMilliseconds(lockedUntil.Value));
        }

        var lockUntil = recorded.NullableInt64(0);
        return lockUntil is null
            ? new SignInResult(SignInStatus.InvalidCredentials, null, null)
            : new SignInResult(SignInStatus.LockedOut, null, DateTimeOffset.FromUnixTimeMilliseconds(lockUntil.Value));
    }

    /// <summary>The window of counted failures has passed (or none was counted): this failure starts a new one.</summary>
    private const string WindowOver = "(first_failure_ms IS NULL OR @now - first_failure_ms > @window)";

    /// <summary>The failures in the window including this one.</summary>
    private const string FailuresAfter = $"(CASE WHEN {WindowOver} THEN 1 ELSE failed_count + 1 END)";

    private static long? LockedUntil(DbConnection connection, string username)
    {
        using var select = connection.Command("SELECT locked_until_ms FROM users WHERE username = @u", ("@u", username));
        return select.ExecuteScalar() is long until ? until : null;
    }

    /// <summary>Issues a bearer token; only its SHA-256 is stored.</summary>
    public (string Token, DateTimeOffset ExpiresAt) CreateToken(string username, string name)
    {
        var token = "irr_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = Now;
        var expires = now + (long)_options.TokenLifetime.TotalMilliseconds;
        using var connection = _database.Open();
        using var insert = connection.Command("INSERT INTO api_tokens (token_hash, username, name, created_ms, expires_ms) VALUES (@h, @u, @n, @now, @e)",
            ("@h", TokenHash(token)), ("@u", username), ("@n", string.IsNullOrWhiteSpace(name) ? "api" : name), ("@now", now), ("@e", expires));
        insert.ExecuteNonQuery();
        return (token, DateTimeOffset.FromUnixTimeMilliseconds(expires));
    }

    /// <summary>The user a bearer token belongs to, when the token is known, unexpired and the user enabled.</summary>
    public UserAccount? FindByToken(string token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200)
            return null;
        using var connection = _database.Open();
        using var select = connection.Command(
            """
            SELECT u.username, u.display_name, u.role, u.disabled, u.security_stamp, u.created_ms, u.updated_ms
            FROM api_tokens t JOIN users u ON lower(u.username) = lower(t.username)
            WHERE t.token_hash = @h AND t.expires_ms > @now AND u.disabled = 0 AND t.created_ms >= u.created_ms
            """,
            ("@h", TokenHash(token)), ("@now", Now));
        using var reader = select.ExecuteReader();
        return reader.Read() ? ReadUser(reader) : null;
    }

    /// <summary>Ends a user's bearer tokens (password change, disabling).</summary>
    public void RevokeTokens(string username)
    {
        using var connection = _database.Open();
        using var delete = connection.Command("DELETE FROM api_tokens WHERE lower(username) = lower(@u)", ("@u", username));
        delete.ExecuteNonQuery();
    }

    private static UserAccount ReadUser(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3) != 0, r.GetString(4), r.GetInt64(5), r.GetInt64(6));

    private static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    private static string TokenHash(string token) => Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
