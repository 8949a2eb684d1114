using Irrigation.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Data;

public static class DataRegistration
{
    /// <summary>The SQLite database (users, commands, alarms, audit, settings) in the data directory, migrated when first used.</summary>
    public static IServiceCollection AddServerDatabase(this IServiceCollection services) =>
        services.AddSingleton(sp =>
        {
            var database = new ServerDatabase(Path.Combine(sp.GetRequiredService<IOptions<SiteOptions>>().Value.DataPath(), "irrigation.db"));
            database.Migrate();
            return database;
        });
}
