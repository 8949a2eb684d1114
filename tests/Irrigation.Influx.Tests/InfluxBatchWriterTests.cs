using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Tests.TestSupport;
using Irrigation.Influx.Write;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Influx.Tests;

/// <summary>The batching writer against a real influxd: size and interval flushes, counters, back-pressure.</summary>
public sealed class InfluxBatchWriterTests(InfluxdFixture influx, ITestOutputHelper output) : IClassFixture<InfluxdFixture>
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static PointData Point(int i, long t) =>
        PointData.Create("pump").Tag("station", "s" + (i % 10)).Field("v", i * 0.5).Field("n", (long)i).Timestamp(t + i);

    [Fact]
    public async Task WriteAsync_MorePointsThanABatch_SendsFullBatchesAndTheRestOnDispose()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        var options = influx.WriteOptions(db);
        options.BatchSize = 5000;
        options.FlushInterval = TimeSpan.FromSeconds(30);
        using var client = new InfluxWriteClient(options, new TestLogger(output));
        var writer = new InfluxBatchWriter(client, new TestLogger(output));
        var t = Now - 20_000;

        for (var i = 0; i < 12_000; i++)
            await writer.WriteAsync(Point(i, t), CancellationToken.None);
        await Poll.UntilAsync(() => Task.FromResult(writer.Counters.Batches == 2), "two full batches went out without waiting for the interval");
        await writer.DisposeAsync();

        output.WriteLine(writer.Counters.ToString());
        Assert.Equal(12_000, writer.Counters.PointsQueued);
        Assert.Equal(12_000, writer.Counters.PointsWritten);
        Assert.Equal(3, writer.Counters.Batches);
        Assert.Equal(0, writer.Counters.TotalDropped);
        Assert.True(writer.Counters.LastBatchLatency > TimeSpan.Zero);
        Assert.Equal(12_000, await influx.CountAsync(db, "pump"));
    }

    [Fact]
    public async Task WriteAsync_FewPoints_FlushedByTheIntervalWithoutFlushCall()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        var options = influx.WriteOptions(db);
        options.FlushInterval = TimeSpan.FromMilliseconds(200);
        using var client = new InfluxWriteClient(options);
        await using var writer = new InfluxBatchWriter(client);
        var t = Now;

        for (var i = 0; i < 10; i++)
            await writer.WriteAsync(Point(i, t), CancellationToken.None);

        // The points are queryable a moment before the writer has counted the batch (it counts after the answer).
        await Poll.UntilAsync(async () => await influx.CountAsync(db, "pump") == 10 && writer.Counters.Batches > 0, "the interval flushed the partial batch", TimeSpan.FromSeconds(5));
        Assert.Equal(1, writer.Counters.Batches);
    }

    [Fact]
    public async Task FlushAsync_PendingPoints_WrittenWhenItReturns()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        var options = influx.WriteOptions(db);
        options.FlushInterval = TimeSpan.FromMinutes(1);
        using var client = new InfluxWriteClient(options);
        await using var writer = new InfluxBatchWriter(client);

        await writer.WriteAsync(Point(1, Now), CancellationToken.None);
        await writer.FlushAsync(CancellationToken.None);

        Assert.Equal(1, writer.Counters.PointsWritten);
        Assert.Equal(1, await influx.CountAsync(db, "pump"));
    }

    [Fact]
    public async Task WriteAsync_BadPointsAndNaN_CountedByReason()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        using var client = new InfluxWriteClient(influx.WriteOptions(db), new TestLogger(output));
        await using var writer = new InfluxBatchWriter(client, new TestLogger(output));
        var t = Now;

        await writer.WriteAsync(PointData.Create("m").Field("v", 1.0).Timestamp(t), CancellationToken.None);
        await writer.FlushAsync(CancellationToken.None);
        await writer.WriteAsync(PointData.Create("m").Field("v", "text").Timestamp(t + 1), CancellationToken.None);
        await writer.WriteAsync(PointData.Create("m").Field("v", double.NaN).Timestamp(t + 2), CancellationToken.None);
        await writer.WriteAsync(PointData.Create("m").Field("v", 3.0).Field("w", double.PositiveInfinity).Timestamp(t + 3), CancellationToken.None);
        await writer.FlushAsync(CancellationToken.None);

        output.WriteLine(writer.Counters.ToString());
        Assert.Equal(1, writer.Counters.Dropped(InfluxDropReason.FieldTypeConflict));
        Assert.Equal(1, writer.Counters.PointsOmitted);
        Assert.Equal(2, writer.Counters.FieldsSkipped);
        Assert.Equal(2, writer.Counters.PointsWritten);
        Assert.Equal(2, await influx.CountAsync(db, "m"));
    }

    [Fact]
    public async Task WriteAsync_ServerUnreachableAndQueueFull_WaitsForRoomThenCountsTheLoss()
    {
        // Nothing listens on this port: every request is refused until the retry budget is spent.
        using var client = new InfluxWriteClient(new InfluxWriteOptions
        {
            Url = new Uri($"http://127.0.0.1:{FreePort.Next()}/"),
            Database = "db",
            BatchSize = 10,
            QueueCapacity = 10,
            FlushInterval = TimeSpan.FromMilliseconds(50),
            Retry = new InfluxRetryOptions { MaxAttempts = 100, FirstDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(100), MaxElapsed = TimeSpan.FromSeconds(1) },
        });
        var writer = new InfluxBatchWriter(client, new TestLogger(output));
        var t = Now;

        for (var i = 0; i < 10; i++)
            await writer.WriteAsync(Point(i, t), CancellationToken.None);
        await Poll.UntilAsync(() => Task.FromResult(writer.Counters.PointsQueued == 10), "the loop took the first batch");
        await Task.Delay(100);
        for (var i = 10; i < 20; i++)
            await writer.WriteAsync(Point(i, t), CancellationToken.None);
        var blocked = writer.WriteAsync(Point(20, t), CancellationToken.None).AsTask();
        await Task.Delay(300);

        Assert.False(blocked.IsCompleted, "a full queue must make the writer wait");
        await blocked.WaitAsync(TimeSpan.FromSeconds(10));
        await writer.DisposeAsync();
        output.WriteLine(writer.Counters.ToString());
        Assert.Equal(21, writer.Counters.Dropped(InfluxDropReason.WriteFailed));
        Assert.Equal(0, writer.Counters.PointsWritten);
        Assert.True(writer.Counters.FailedBatches >= 3);
    }
}
