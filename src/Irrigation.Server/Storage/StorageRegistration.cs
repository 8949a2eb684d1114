using Irrigation.Influx.Query;
using Irrigation.Server.Configuration;
using Irrigation.Influx.Write;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Storage;

/// <summary>
/// InfluxDB: its settings, the time-series replicas, the query client (a caught-up replica, failing over), the
/// low-rate events writer (every replica) and the schema on every replica (retention policies, roll-ups).
/// </summary>
public static class StorageRegistration
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddFeatureOptions<ServerInfluxOptions>();
        services.AddSingleton(sp => new TimeSeriesReplicas(sp.GetRequiredService<IOptions<ServerInfluxOptions>>().Value));
        services.AddSingleton(sp => sp.GetRequiredService<TimeSeriesReplicas>().CreateQueryClient(sp.GetRequiredService<ILoggerFactory>().CreateLogger("influx.query")));

        // Events for Grafana (command outcomes, alarms, availability): low rate, batched, best effort; commands and alarms also live in SQLite.
        services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("influx.events");
            return new EventPointWriter(sp.GetRequiredService<TimeSeriesReplicas>().All.Select(replica =>
            {
                var options = replica.WriteOptions();
                options.FlushInterval = TimeSpan.FromSeconds(1);
                return new InfluxBatchWriter(new InfluxWriteClient(options, logger), logger);
            }).ToList());
        });
        services.AddSingleton<InfluxSchema>();
        services.AddHostedService(sp => sp.GetRequiredService<InfluxSchema>());
        return services;
    }
}
