using System.Globalization;
using Irrigation.Influx.Query;
using Irrigation.Server.Configuration;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// Creates what the dashboards need when it is missing (docs/influx-schema.md): the database with its default
/// retention policy "raw", the roll-up retention policies "rollup_1m" and "rollup_1h", and continuous queries that
/// fill them from raw data. Idempotent; retried in the background until InfluxDB answers.
/// </summary>
public sealed class InfluxSchema : BackgroundService
{
    public const string RawPolicy = "raw";
    public const string MinutePolicy = "rollup_1m";
    public const string HourPolicy = "rollup_1h";
    public static readonly TimeSpan MinuteRetention = TimeSpan.FromDays(400);

    private readonly ServerOptions _options;
    private readonly InfluxQueryClient _query;
    private readonly ILogger<InfluxSchema> _logger;

    public InfluxSchema(ServerOptions options, InfluxQueryClient query, ILogger<InfluxSchema> logger)
    {
        _options = options;
        _query = query;
        _logger = logger;
    }

    /// <summary>True once the schema is known to exist.</summary>
    public bool Ready { get; private set; }

    /// <summary>The continuous queries, by name: one per measurement and roll-up interval.</summary>
    public static IReadOnlyList<(string Name, string Statement)> ContinuousQueries(string database)
    {
        string Cq(string name, string policy, string measurement, string interval, string extra) =>
            $"CREATE CONTINUOUS QUERY \"{name}\" ON \"{database}\" BEGIN SELECT mean(*){extra} INTO \"{database}\".\"{policy}\".\"{measurement}\" FROM \"{database}\".\"{RawPolicy}\".\"{measurement}\" GROUP BY time({interval}), * END";
        const string stationExtra = ", last(\"forward_energy\") AS \"last_forward_energy\", last(\"flow_total\") AS \"last_flow_total\", count(\"seq\") AS \"messages\"";
        return
        [
            ("cq_station_1m", Cq("cq_station_1m", MinutePolicy, "station", "1m", stationExtra)),
            ("cq_pump_1m", Cq("cq_pump_1m", MinutePolicy, "pump", "1m", ", max(\"running\") AS \"max_running\"")),
            ("cq_station_1h", Cq("cq_station_1h", HourPolicy, "station", "1h", stationExtra)),
            ("cq_pump_1h", Cq("cq_pump_1h", HourPolicy, "pump", "1h", ", max(\"running\") AS \"max_running\"")),
        ];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Influx.CreateSchema)
        {
            Ready = true;
            return;
        }

        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await EnsureAsync(stoppingToken);
                Ready = true;
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                _logger.LogWarning("Cannot prepare InfluxDB schema yet ({Reason}); retrying in {Delay:0} s. Ingestion spools meanwhile.", ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        var db = _options.Influx.Database;
        var databases = await _query.QueryAsync("SHOW DATABASES", cancellationToken: cancellationToken);
        if (!Names(databases).Contains(db))
        {
            var raw = Duration(_options.Influx.RawRetention);
            await _query.ExecuteAsync($"CREATE DATABASE \"{db}\" WITH DURATION {raw} REPLICATION 1 NAME \"{RawPolicy}\"", cancellationToken: cancellationToken);
            _logger.LogInformation("Created database {Database} with default retention policy {Policy} ({Duration}).", db, RawPolicy, raw);
        }

        var policies = Names(await _query.QueryAsync($"SHOW RETENTION POLICIES ON \"{db}\"", cancellationToken: cancellationToken));
        if (!policies.Contains(MinutePolicy))
            await _query.ExecuteAsync($"CREATE RETENTION POLICY \"{MinutePolicy}\" ON \"{db}\" DURATION {Duration(MinuteRetention)} REPLICATION 1", cancellationToken: cancellationToken);
        if (!policies.Contains(HourPolicy))
            await _query.ExecuteAsync($"CREATE RETENTION POLICY \"{HourPolicy}\" ON \"{db}\" DURATION INF REPLICATION 1", cancellationToken: cancellationToken);

        var existing = Names(await _query.QueryAsync("SHOW CONTINUOUS QUERIES", database: db, cancellationToken: cancellationToken));
        foreach (var (name, statement) in ContinuousQueries(db))
        {
            if (!existing.Contains(name))
            {
                await _query.ExecuteAsync(statement, database: db, cancellationToken: cancellationToken);
                _logger.LogInformation("Created continuous query {Name}.", name);
            }
        }
    }

    private static HashSet<string> Names(InfluxQueryResult result)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var series in result.Series)
        {
            var column = series.ColumnIndex("name");
            if (column < 0)
                continue;
            foreach (var row in series.Values)
            {
                if (row[column].ValueKind == System.Text.Json.JsonValueKind.String)
                    names.Add(row[column].GetString()!);
            }
        }

        return names;
    }

    private static string Duration(TimeSpan span) => span.TotalHours % 24 == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{(long)span.TotalDays}d")
        : string.Create(CultureInfo.InvariantCulture, $"{(long)span.TotalHours}h");
}
