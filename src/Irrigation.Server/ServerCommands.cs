using Irrigation.Server.Accounts;
using Irrigation.Server.Audit;

namespace Irrigation.Server;

/// <summary>Command-line administration next to the web server.</summary>
internal static class ServerCommands
{
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
