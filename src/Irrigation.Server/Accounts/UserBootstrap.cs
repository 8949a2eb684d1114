using Irrigation.Server.Audit;
using Irrigation.Server.Configuration;

namespace Irrigation.Server.Accounts;

/// <summary>Creates the configured users that do not exist yet (the first admin, demo users); never changes existing ones.</summary>
public static class UserBootstrap
{
    public static void Run(UserStore users, AuditLog audit, AuthOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var user in options.Users)
        {
            if (users.Find(user.Username) is not null)
                continue;
            try
            {
                users.Create(user.Username, user.DisplayName, user.Role, user.Password);
            }
            catch (UserChangeException ex) when (ex.Code == "user_exists")
            {
                // Instances starting together on one database: another created it between the look-up and here.
                logger.LogInformation("User {User} from configuration was created by another server instance.", user.Username);
                continue;
            }

            audit.Write("system", "user.create", "succeeded", detail: $"{user.Username} as {user.Role} (from configuration)");
            logger.LogInformation("Created user {User} ({Role}) from configuration.", user.Username, user.Role);
        }

        if (users.Count() == 0)
        {
            logger.LogWarning("No users exist. Create the first admin with 'irrigation-server create-user <name> admin' (password from IRRIGATION_PASSWORD) " +
                "or Irrigation:Auth:Users in the configuration.");
        }
    }
}
