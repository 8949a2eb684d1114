using System.Globalization;
using Irrigation.Influx.Query;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Storage;

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
    /// <summary>Telemetry sequence ranges recorded as lost (gap repair could not get them): tags station, gateway, reason; field messages.</summary>
    public const string DataLossMeasurement = "data_loss";

    public static readonly TimeSpan MinuteRetention = TimeSpan.FromDays(400);

    private readonly ServerInfluxOptions _options;
    private readonly InfluxQueryClient _query;
    private readonly ILogger<InfluxSchema> _logger;

    public InfluxSchema(IOptions<ServerInfluxOptions> options, InfluxQueryClient query, ILogger<InfluxSchema> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _query = query;
        _logger = logger;
    }

    /// <summary>True once the schema is known to exist.</summary>
    public bool Ready { get; private set; }

    private const string StationExtra = ", last(\"forward_energy\") AS \"last_forward_energy\", last(\"flow_total\") AS \"last_flow_total\", count(\"seq\") AS \"messages\"";
    private const string PumpExtra = ", max(\"running\") AS \"max_running\"";

    /// <summary>The roll-ups: one per measurement and interval, each a continuous query.</summary>
    private static readonly (string Name, string Policy, string Measurement, string Interval, string Extra)[] Rollups =
    [
        ("cq_station_1m", MinutePolicy, "station", "1m", StationExtra),
        ("cq_pump_1m", MinutePolicy, "pump", "1m", PumpExtra),
        ("cq_station_1h", HourPolicy, "station", "1h", StationExtra),
        ("cq_pump_1h", HourPolicy, "pump", "1h", PumpExtra),
    ];

    private static string Select((string Name, string Policy, string Measurement, string Interval, string Extra) r, string database, string where) =>
        $"SELECT mean(*){r.Extra} INTO \"{database}\".\"{r.Policy}\".\"{r.Measurement}\" FROM \"{database}\".\"{RawPolicy}\".\"{r.Measurement}\"{where} GROUP BY time({r.Interval}), *";

    /// <summary>The continuous queries, by name: one per measurement and roll-up interval.</summary>
    public static IReadOnlyList<(string Name, string Statement)> ContinuousQueries(string database) =>
        Rollups.Select(r => (r.Name, $"CREATE CONTINUOUS QUERY \"{r.Name}\" ON \"{database}\" BEGIN {Select(r, database, "")} END")).ToList();

    /// <summary>
    /// The continuous queries' selects over a past range, for one station (<c>$station</c>) or all: a continuous query
    /// rolls up only the interval that just ended, so telemetry that arrives late (a gateway's replay) would never
    /// reach the roll-ups — the 7-day charts and the acceptance dashboard's message counts — without this.
    /// </summary>
    public static IReadOnlyList<string> BackfillStatements(string database, long fromMs, long toMs, bool oneStation) =>
        Rollups.Select(r => Select(r, database, string.Create(CultureInfo.InvariantCulture,
            $" WHERE {(oneStation ? "\"station\" = $station AND " : "")}time >= {fromMs}ms AND time < {toMs}ms"))).ToList();

    /// <summary>Re-runs the roll-ups from <paramref name="fromMs"/> to now for <paramref name="station"/> (null: every station). Idempotent.</summary>
    public async Task BackfillAsync(string? station, long fromMs, CancellationToken cancellationToken)
    {
        var toMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var parameters = station is null ? null : new Dictionary<string, object?> { ["station"] = station };
        foreach (var statement in BackfillStatements(_options.Database, fromMs, toMs, station is not null))
            await _query.ExecuteAsync(statement, parameters, _options.Database, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.CreateSchema)
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
        var db = _options.Database;
        var databases = await _query.QueryAsync("SHOW DATABASES", cancellationToken: cancellationToken);
        if (!Names(databases).Contains(db))
        {
            var raw = Duration(_options.RawRetention);
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
