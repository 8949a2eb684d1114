using System.Globalization;
using Irrigation.Influx.Query;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Storage;

/// <summary>
/// Creates what the dashboards need when it is missing (docs/influx-schema.md): the database with its default
/// retention policy "raw", the roll-up retention policies "rollup_1m" and "rollup_1h", and continuous queries that
/// fill them from raw data — on every time-series replica, each with its own query client. Idempotent; retried in the
/// background until each replica answers.
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
    private readonly TimeSeriesReplicas _replicas;
    private readonly InfluxQueryClient[] _queries;
    private readonly bool[] _ready;
    private readonly ILogger<InfluxSchema> _logger;

    public InfluxSchema(IOptions<ServerInfluxOptions> options, TimeSeriesReplicas replicas, ILogger<InfluxSchema> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(replicas);
        _options = options.Value;
        _replicas = replicas;
        _queries = replicas.All.Select(r => new InfluxQueryClient(r.QueryOptions())).ToArray();
        _ready = new bool[_queries.Length];
        _logger = logger;
    }

    /// <summary>True once the schema is known to exist on at least one replica (queries and accounting can start).</summary>
    public bool Ready { get; private set; }

    /// <summary>True once the schema is known to exist on <paramref name="replica"/>.</summary>
    public bool ReadyOn(TimeSeriesReplica replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return Volatile.Read(ref _ready[replica.Index]);
    }

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

    /// <summary>
    /// Re-runs the roll-ups from <paramref name="fromMs"/> to now for <paramref name="station"/> (null: every station),
    /// on every caught-up replica: each rolls up its own raw data. A replica that is down or catching up is skipped;
    /// its spool replay reports late data again when it ends, and the pass after that backfills it. Idempotent.
    /// </summary>
    public async Task BackfillAsync(string? station, long fromMs, CancellationToken cancellationToken)
    {
        var toMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var parameters = station is null ? null : new Dictionary<string, object?> { ["station"] = station };
        foreach (var replica in _replicas.All)
        {
            if (!replica.CaughtUp)
                continue;
            var database = replica.Options.Database!;
            foreach (var statement in BackfillStatements(database, fromMs, toMs, station is not null))
                await _queries[replica.Index].ExecuteAsync(statement, parameters, database, cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.CreateSchema)
        {
            for (var i = 0; i < _ready.Length; i++)
                Volatile.Write(ref _ready[i], true);
            Ready = true;
            return;
        }

        // One loop per replica: a replica that is down for hours must not keep the others' schema waiting.
        await Task.WhenAll(_replicas.All.Select(r => PrepareAsync(r, stoppingToken)));
    }

    private async Task PrepareAsync(TimeSeriesReplica replica, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await EnsureAsync(replica, stoppingToken);
                Volatile.Write(ref _ready[replica.Index], true);
                Ready = true;
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                _logger.LogWarning("Cannot prepare the schema on time-series replica {Replica} yet ({Reason}); retrying in {Delay:0} s. Ingestion spools for it meanwhile.", replica, ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }

    /// <summary>Creates what is missing on every replica; throws on the first that cannot be prepared.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        foreach (var replica in _replicas.All)
        {
            await EnsureAsync(replica, cancellationToken);
            Volatile.Write(ref _ready[replica.Index], true);
        }

        Ready = true;
    }

    private async Task EnsureAsync(TimeSeriesReplica replica, CancellationToken cancellationToken)
    {
        var db = replica.Options.Database!;
        var query = _queries[replica.Index];
        var databases = await query.QueryAsync("SHOW DATABASES", cancellationToken: cancellationToken);
        if (!Names(databases).Contains(db))
        {
            var raw = Duration(_options.RawRetention);
            await query.ExecuteAsync($"CREATE DATABASE \"{db}\" WITH DURATION {raw} REPLICATION 1 NAME \"{RawPolicy}\"", cancellationToken: cancellationToken);
            _logger.LogInformation("Created database {Database} on {Replica} with default retention policy {Policy} ({Duration}).", db, replica.Name, RawPolicy, raw);
        }

        var policies = Names(await query.QueryAsync($"SHOW RETENTION POLICIES ON \"{db}\"", cancellationToken: cancellationToken));
        if (!policies.Contains(MinutePolicy))
            await query.ExecuteAsync($"CREATE RETENTION POLICY \"{MinutePolicy}\" ON \"{db}\" DURATION {Duration(MinuteRetention)} REPLICATION 1", cancellationToken: cancellationToken);
        if (!policies.Contains(HourPolicy))
            await query.ExecuteAsync($"CREATE RETENTION POLICY \"{HourPolicy}\" ON \"{db}\" DURATION INF REPLICATION 1", cancellationToken: cancellationToken);

        var existing = Names(await query.QueryAsync("SHOW CONTINUOUS QUERIES", database: db, cancellationToken: cancellationToken));
        foreach (var (name, statement) in ContinuousQueries(db))
        {
            if (!existing.Contains(name))
            {
                await query.ExecuteAsync(statement, database: db, cancellationToken: cancellationToken);
                _logger.LogInformation("Created continuous query {Name} on {Replica}.", name, replica.Name);
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

    public override void Dispose()
    {
        foreach (var query in _queries)
            query.Dispose();
        base.Dispose();
    }
}
