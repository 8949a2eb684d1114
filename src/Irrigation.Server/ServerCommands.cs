using Irrigation.Server.Accounts;
using Irrigation.Server.Audit;

namespace Irrigation.Server;

/// <summary>Command-line administration next to the web server.</summary>
internal static class ServerCommands
{
    /// <summary>Whether <paramref name="args"/> name a command rather than options for the web server.</summary>
    public static bool IsCommand(string[] args) => args is ["create-user", ..] or ["verify-audit", ..];

    public static int Run(string[] args, IServiceProvider services) => args[0] switch
    {
        "create-user" => CreateUser(args[1..], services),
        _ => VerifyAudit(services),
    };

    /// <summary><c>verify-audit</c>: checks the audit trail's hash chain; exit 0 when intact, 1 naming the first bad entry.</summary>
    public static int VerifyAudit(IServiceProvider services)
    {
        var result = services.GetRequiredService<AuditLog>().Verify();
        if (result.Intact)
        {
            Console.WriteLine($"audit trail intact: {result.Chained} entries chained{(result.BeforeChain > 0 ? $", {result.BeforeChain} older entries from before the chain" : "")}");
            return 0;
        }

        var bad = result.FirstBad!;
        Console.Error.WriteLine($"irrigation-server: audit entry {bad.Id} ({DateTimeOffset.FromUnixTimeMilliseconds(bad.Ts):yyyy-MM-dd HH:mm:ss}Z, {bad.Action} by {bad.Actor ?? "-"}) {result.Reason}; {result.Chained} entries before it are intact.");
        return 1;
    }

    /// <summary><c>create-user &lt;name&gt; &lt;role&gt; [display name]</c>, the password from IRRIGATION_PASSWORD (never from the command line, which other users can see).</summary>
    public static int CreateUser(string[] args, IServiceProvider services)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: IRRIGATION_PASSWORD=… irrigation-server create-user <username> <admin|operator|maintenance|viewer> [display name]");
            return 2;
        }

        var password = Environment.GetEnvironmentVariable("IRRIGATION_PASSWORD");
        if (string.IsNullOrEmpty(password))
        {
            Console.Error.WriteLine("irrigation-server: set IRRIGATION_PASSWORD to the new user's password.");
            return 2;
        }

        var users = services.GetRequiredService<UserStore>();
        try
        {
            var user = users.Create(args[0], args.Length > 2 ? args[2] : null, args[1], password);
            services.GetRequiredService<AuditLog>().Write("cli", "user.create", "succeeded", detail: $"{user.Username} as {user.Role}");
            Console.WriteLine($"created {user.Username} ({user.Role})");
            return 0;
        }
        catch (UserChangeException ex)
        {
            Console.Error.WriteLine($"irrigation-server: {ex.Message}");
            return 1;
        }
    }
}
