using Irrigation.Influx.Query;
using Irrigation.Server.Configuration;
using Irrigation.Influx.Write;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Storage;

/// <summary>InfluxDB: its settings, the query client, the low-rate events writer and the schema (retention policies, roll-ups).</summary>
public static class StorageRegistration
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddFeatureOptions<ServerInfluxOptions>();
        services.AddSingleton(sp => new InfluxQueryClient(sp.GetRequiredService<IOptions<ServerInfluxOptions>>().Value.QueryOptions()));

        // Events for Grafana (command outcomes, alarms, availability): low rate, batched, best effort; commands and alarms also live in SQLite.
        services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("influx.events");
            var options = sp.GetRequiredService<IOptions<ServerInfluxOptions>>().Value.WriteOptions();
            options.FlushInterval = TimeSpan.FromSeconds(1);
            return new InfluxBatchWriter(new InfluxWriteClient(options, logger), logger);
        });
        services.AddSingleton<InfluxSchema>();
        services.AddHostedService(sp => sp.GetRequiredService<InfluxSchema>());
        return services;
    }

    /// <summary>Write options for this database (the caller sets batch size, timeout, retention policy).</summary>
    public static InfluxWriteOptions WriteOptions(this ServerInfluxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new InfluxWriteOptions
        {
            Url = new Uri(options.Url),
            Database = options.Database,
            Username = options.Username,
            Password = options.Password,
            Token = options.Token,
            Gzip = options.Gzip,
        };
    }

    public static InfluxQueryOptions QueryOptions(this ServerInfluxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new InfluxQueryOptions
        {
            Url = new Uri(options.Url),
            Database = options.Database,
            Username = options.Username,
            Password = options.Password,
            Token = options.Token,
        };
    }
}
