using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Query;
using Irrigation.Influx.Write;
using Irrigation.Server.Ingestion;
using Irrigation.Server.State;

namespace Irrigation.Benchmarks;

/// <summary>What the influxd-alone ceiling run wrote and how fast.</summary>
public sealed record InfluxCeilingResult(long Points, long Stored, int Batches, long BodyBytes, double Seconds, double InfluxdCores, double WriterCores)
{
    public double PointsPerSecond => Points / Seconds;
}

/// <summary>
/// The influxd-alone ceiling: the points the ingest run stores — Irrigation.Benchmarks mqtt-load messages run through the
/// server's own <see cref="TelemetryDecoder"/> — prepared in memory first, then written directly with
/// <see cref="InfluxWriteClient"/> in batches of the server's size, gzip as the server sends them, by as many
/// sequential writers as the server has (one). Only the writes are timed; afterwards the points are counted back.
/// </summary>
public sealed class InfluxCeiling
{
    private readonly Uri _url;
    private readonly string _database;

    public InfluxCeiling(Uri url, string database)
    {
        _url = url;
        _database = database;
    }

    /// <param name="influxdPid">influxd's process id, to report the CPU it used while written to; 0 = not known.</param>
    public async Task<InfluxCeilingResult> RunAsync(int stations, long points, int values, int batchSize, bool gzip, int writers, int influxdPid, CancellationToken cancellationToken)
    {
        var batches = Prepare(stations, points, values, batchSize);
        using var query = new InfluxQueryClient(new InfluxQueryOptions { Url = _url, Database = _database });
        await query.ExecuteAsync($"CREATE DATABASE \"{_database}\"", cancellationToken: cancellationToken);
        using var client = new InfluxWriteClient(new InfluxWriteOptions { Url = _url, Database = _database, Gzip = gzip, BatchSize = batchSize });

        var next = -1;
        var influxd0 = ProcessCpu.Seconds(influxdPid);
        var self0 = ProcessCpu.Seconds(Environment.ProcessId);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < batches.Count; i = Interlocked.Increment(ref next))
            {
                var result = await client.WriteAsync(batches[i].Lines, batches[i].Points, cancellationToken);
                if (result.Dropped > 0)
                    throw new InvalidOperationException($"influxd dropped {result.Dropped} point(s) of batch {i}.");
            }
        }, cancellationToken)));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var influxdCores = (ProcessCpu.Seconds(influxdPid) - influxd0) / seconds;
        var writerCores = (ProcessCpu.Seconds(Environment.ProcessId) - self0) / seconds;

        var counted = await query.QueryAsync("SELECT count(seq) FROM station", cancellationToken: cancellationToken);
        var stored = counted.Series.Select(s => s.Value(0, "count").GetInt64()).DefaultIfEmpty(0).Sum();
        return new InfluxCeilingResult(batches.Sum(b => (long)b.Points), stored, batches.Count, batches.Sum(b => (long)b.Lines.Length), seconds, influxdCores, writerCores);
    }

    /// <summary>
    /// <paramref name="points"/> messages round-robin over <paramref name="stations"/> stations, 20 ms apart per station
    /// (50 msg/s each, as bench.sh's default load), ending now; decoded into line protocol batches.
    /// </summary>
    private static List<(ReadOnlyMemory<byte> Lines, int Points)> Prepare(int stations, long points, int values, int batchSize)
    {
        var registry = new StationRegistry(acceptUnknown: true);
        var decoder = new TelemetryDecoder(registry, new LatestValueCache(registry));
        var random = new Random(1);
        var ids = Enumerable.Range(1, stations).Select(i => string.Create(CultureInfo.InvariantCulture, $"cl{i:00000}")).ToArray();
        var idBytes = ids.Select(Encoding.UTF8.GetBytes).ToArray();
        var rounds = (points + stations - 1) / stations;
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (rounds * 20);
        var batches = new List<(ReadOnlyMemory<byte>, int)>();
        var buffer = new ArrayBufferWriter<byte>(batchSize * 600);
        var writer = new LineProtocolWriter(buffer);
        var inBatch = 0;
        for (long i = 0; i < points; i++)
        {
            var station = (int)(i % stations);
            var seq = (i / stations) + 1;
            var payload = TelemetrySamples.LoadMessage(ids[station], seq, start + (seq * 20), values, random);
            var result = decoder.Decode(idBytes[station], payload, writer);
            if (!result.Stored)
                throw new InvalidOperationException($"The sample message was dropped: {result.Reason}.");
            inBatch += result.Points;
            if (inBatch >= batchSize)
            {
                batches.Add((buffer.WrittenSpan.ToArray(), inBatch));
                buffer.ResetWrittenCount();
                inBatch = 0;
            }
        }

        if (inBatch > 0)
            batches.Add((buffer.WrittenSpan.ToArray(), inBatch));
        writer.Dispose();
        return batches;
    }
}
