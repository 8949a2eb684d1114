using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Query;
using Irrigation.Influx.Write;
using Irrigation.Server.Storage;

namespace Irrigation.Server.Tests;

/// <summary>Events for every replica, against a real influxd and a replica that cannot be reached.</summary>
public sealed class EventPointWriterTests
{
    [Fact]
    public async Task WriteAsync_FirstReplicaUnreachableWithItsQueueFull_SecondReplicaGetsEveryPointMeanwhile()
    {
        await using var influxd = await InfluxdServer.StartAsync();
        var db = await influxd.CreateDatabaseAsync("events");
        // One point in flight and one queued fill the unreachable replica's writer; it retries each batch for 6 s, longer than
        // the reachable replica may take to get all five (were the queues filled one after the other, it would have two).
        var down = new InfluxWriteOptions
        {
            Url = new Uri($"http://127.0.0.1:{FreePort.Next()}/"), Database = db, BatchSize = 1, QueueCapacity = 1, FlushInterval = TimeSpan.FromMilliseconds(50),
            Retry = new InfluxRetryOptions { MaxAttempts = 100, FirstDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromMilliseconds(200), MaxElapsed = TimeSpan.FromSeconds(6) },
        };
        var up = new InfluxWriteOptions { Url = influxd.Url, Database = db, FlushInterval = TimeSpan.FromMilliseconds(50) };
        var writer = new EventPointWriter([new InfluxBatchWriter(new InfluxWriteClient(down)), new InfluxBatchWriter(new InfluxWriteClient(up))]);
        using var query = new InfluxQueryClient(new InfluxQueryOptions { Url = influxd.Url, Database = db });

        var writes = Enumerable.Range(1, 5)
            .Select(i => writer.WriteAsync(PointData.Create("command").Tag("station", "st001").Field("n", (long)i).Timestamp(1_000 + i), CancellationToken.None).AsTask())
            .ToList();
        var stored = await Poll.UntilAsync(async () => (await query.QueryAsync("SELECT count(\"n\") FROM \"command\"")).Series.FirstOrDefault()?.Value(0, "count").GetInt64() ?? 0,
            n => n == 5, TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(100));
        var waiting = writes.Count(w => !w.IsCompleted);
        await writer.DisposeAsync(); // the unreachable replica's batches are given up after their retries, so this ends

        Assert.Equal(5, stored);
        Assert.True(waiting > 0, "every write completed although the unreachable replica's queue was full");
        Assert.True(writer.Writers[0].Counters.FailedBatches > 0);
        Assert.Equal(5, writer.Writers[1].Counters.PointsWritten);
    }
}
