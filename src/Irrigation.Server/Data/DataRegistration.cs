using Irrigation.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Data;

public static class DataRegistration
{
    /// <summary>
    /// The server database (users, commands, alarms, audit, settings, leases): SQLite in the data directory unless
    /// <c>Irrigation:Database</c> names PostgreSQL; migrated when first used.
    /// </summary>
    public static IServiceCollection AddServerDatabase(this IServiceCollection services)
    {
        services.AddFeatureOptions<DatabaseOptions>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var database = options.Provider == DatabaseProvider.PostgreSql
                ? ServerDatabase.ForPostgreSql(options.ConnectionString!)
                : ServerDatabase.ForSqlite(Path.Combine(sp.GetRequiredService<IOptions<SiteOptions>>().Value.DataPath(), "irrigation.db"));
            database.Migrate();
            return database;
        });
        services.AddSingleton<LeaseStore>();
        return services;
    }
}
