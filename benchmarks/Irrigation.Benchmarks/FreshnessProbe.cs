using System.Globalization;
using Irrigation.Influx.Query;

namespace Irrigation.Benchmarks;

/// <summary>Latency samples, in milliseconds, and their percentiles.</summary>
public sealed record FreshnessResult(IReadOnlyList<long> SamplesMs, int Failed)
{
    public long Percentile(double p)
    {
        if (SamplesMs.Count == 0)
            return -1;
        var sorted = SamplesMs.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// Latency from gateway timestamp to queryable, sampled while load runs: a few times a second it asks influxd for the
/// newest point (<c>SELECT last(seq) FROM station</c>, epoch=ms) and records the wall clock when the answer arrived
/// minus that point's timestamp (the gateway's <c>ts</c>): how stale the freshest queryable data was. Under steady
/// load, with a batch stored every F seconds after a write of W, both this staleness and each message's latency
/// range over [W, W + F], so their percentiles agree; timing the answer's arrival adds the query's own few
/// milliseconds, erring high.
/// </summary>
public sealed class FreshnessProbe
{
    private readonly Uri _url;
    private readonly string _database;

    public FreshnessProbe(Uri url, string database)
    {
        _url = url;
        _database = database;
    }

    public async Task<FreshnessResult> RunAsync(TimeSpan duration, TimeSpan interval, string? stationPrefix, CancellationToken cancellationToken)
    {
        using var query = new InfluxQueryClient(new InfluxQueryOptions { Url = _url, Database = _database, Timeout = TimeSpan.FromSeconds(5) });
        // Only recent points of this run's stations: cheap, and blind to what an earlier run left.
        var influxQl = stationPrefix is null
            ? "SELECT last(seq) FROM station WHERE time > now() - 1m"
            : $"SELECT last(seq) FROM station WHERE time > now() - 1m AND station =~ /^{stationPrefix}/";
        var samples = new List<long>();
        var failed = 0;
        using var timer = new PeriodicTimer(interval);
        var end = DateTimeOffset.UtcNow + duration;
        while (DateTimeOffset.UtcNow < end && await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                var result = await query.QueryAsync(influxQl, cancellationToken: cancellationToken);
                var answered = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var series = result.Series.FirstOrDefault();
                if (series is null || series.Values.Count == 0)
                    continue; // nothing of this run is stored yet
                samples.Add(answered - series.Value(0, "time").GetInt64());
            }
            catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                failed++;
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"freshness: query failed: {ex.Message}"));
            }
        }

        return new FreshnessResult(samples, failed);
    }
}
