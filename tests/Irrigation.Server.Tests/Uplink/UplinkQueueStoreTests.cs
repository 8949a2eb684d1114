using Irrigation.Server.Data;
using Irrigation.Server.Tests.Data;
using Irrigation.Server.Uplink;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;
using Irrigation.Spool;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Server.Tests.Uplink;

/// <summary>
/// The SL 651 queue and serials in the server database, on both engines: what one instance queued another sends, in
/// order, with the serials going on; instances appending at once never give a serial twice; a full queue refuses
/// without using a serial; a queue an older version kept on disk is imported once.
/// </summary>
public abstract class UplinkQueueStoreTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : UplinkQueueStoreTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : UplinkQueueStoreTests(DatabaseProvider.PostgreSql);

    private static readonly DateTime At = new(2026, 12, 4, 21, 30, 15, DateTimeKind.Unspecified);
    private static readonly UplinkStationOptions Options = new() { Station = "st001", Address = "0033000001" };
    private static readonly Sl651Header Header = new(1, Sl651StationAddress.Parse("0033000001"), 0x1234);

    private static UplinkStation Station(ServerDatabase database, long maxBytes = 1 << 20) => new(Options, Header, new UplinkQueueStore(database), maxBytes);

    private static ushort SerialOf(UplinkFrame frame) => (ushort)((frame.Frame[14] << 8) | frame.Frame[15]);

    [Fact]
    public void Enqueue_ByOneInstance_TheNextSendsThemInOrder_AndItsSerialsGoOn()
    {
        using (var leader = Station(Database))
        {
            Assert.Equal(1, leader.Enqueue(serial => new Sl651KeepAlive(serial, At))!.Serial);
            Assert.Equal(2, leader.Enqueue(serial => new Sl651KeepAlive(serial, At))!.Serial);
            Assert.Equal(3, leader.Enqueue(serial => new Sl651KeepAlive(serial, At))!.Serial);
            leader.Acknowledged(leader.Peek()!); // 1 reached the platform before the leader died
        }

        using var next = Station(Reopen());
        Assert.Equal(3, next.ReadLastSerial());
        var head = next.Peek()!;
        Assert.Equal((2, 2L), (SerialOf(head), next.Pending));
        Assert.Equal(Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(new Sl651KeepAlive(2, At), Header)), head.Frame);
        next.Acknowledged(head);
        Assert.Equal(4, next.Enqueue(serial => new Sl651KeepAlive(serial, At))!.Serial);
        Assert.Equal(3, SerialOf(next.Peek()!));
        next.Acknowledged(next.Peek()!);
        Assert.Equal(4, SerialOf(next.Peek()!));
        next.Acknowledged(next.Peek()!);
        Assert.Null(next.Peek());
    }

    [Fact]
    public async Task Enqueue_FourInstancesAtOnce_EverySerialOnce_QueueOrderIsSerialOrder()
    {
        var stations = Enumerable.Range(0, 4).Select(_ => Station(Reopen())).ToList();
        try
        {
            using var start = new Barrier(stations.Count);
            await Task.WhenAll(stations.Select(station => Task.Run(() =>
            {
                start.SignalAndWait();
                for (var i = 0; i < 25; i++)
                    Assert.NotNull(station.Enqueue(serial => new Sl651KeepAlive(serial, At)));
            })));

            var sent = new List<ushort>();
            for (var i = 0; i < 200 && stations[0].Peek() is { } head; i++)
            {
                sent.Add(SerialOf(head));
                stations[0].Acknowledged(head);
            }

            Assert.Equal(Enumerable.Range(1, 100).Select(n => (ushort)n), sent);
        }
        finally
        {
            stations.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Enqueue_QueueFull_RefusedWithoutUsingASerial_SerialWrapsTo1()
    {
        var frame = Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(new Sl651KeepAlive(1, At), Header)).Length;
        using var station = Station(Database, maxBytes: 2 * frame);
        Assert.NotNull(station.Enqueue(serial => new Sl651KeepAlive(serial, At)));
        Assert.NotNull(station.Enqueue(serial => new Sl651KeepAlive(serial, At)));
        Assert.Null(station.Enqueue(serial => new Sl651KeepAlive(serial, At)));
        Assert.Equal(1, station.Refused);
        Assert.Equal(2, station.ReadLastSerial());

        station.Acknowledged(station.Peek()!);
        Execute("UPDATE uplink_serials SET serial = 65535");
        Assert.Equal(1, station.Enqueue(serial => new Sl651KeepAlive(serial, At))!.Serial); // §6.6.2.4: 1..65535, then 1 again
    }

    [Fact]
    public void Import_QueueAnOlderVersionKeptOnDisk_FramesAndSerialTakenOnce_DirectoryRenamed()
    {
        using var data = new ScratchDirectory("uplink-import");
        var root = Path.Combine(data.Path, "sl651");
        var frames = WriteOldQueue(Path.Combine(root, "0033000001"), lastSerial: 6, serials: [4, 5, 6, 7]); // 7 appended, then killed before its serial was written
        WriteOldQueue(Path.Combine(root, "0033000002"), lastSerial: 9, serials: [9]);
        var store = new UplinkQueueStore(Database);
        Assert.NotNull(store.TryAppend("0033000002", 1 << 20, _ => [1, 2, 3])); // another instance already runs this station on the database

        new UplinkQueueImport(store, root, 1 << 20, NullLogger.Instance).Run("0033000001");
        new UplinkQueueImport(store, root, 1 << 20, NullLogger.Instance).Run("0033000002"); // the database already has it: left on disk

        using var station = Station(Database);
        Assert.Equal(7, station.ReadLastSerial());
        var sent = new List<byte[]>();
        for (var i = 0; i < 10 && station.Peek() is { } head; i++)
        {
            sent.Add(head.Frame);
            station.Acknowledged(head);
        }

        Assert.Equal(frames, sent);
        Assert.Equal(8, station.Enqueue(serial => new Sl651KeepAlive(serial, At))!.Serial);
        Assert.Equal(["0033000001.imported", "0033000002"], Directory.EnumerateDirectories(root).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray());
    }

    /// <summary>A station's directory as versions before the shared queue left it: the durable queue and the serial file.</summary>
    private static List<byte[]> WriteOldQueue(string directory, ushort lastSerial, ushort[] serials)
    {
        Directory.CreateDirectory(directory);
        var frames = serials.Select(s => Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(new Sl651KeepAlive(s, At), Header))).ToList();
        using (var queue = DurableQueue.Open(new DurableQueueOptions { Directory = Path.Combine(directory, "queue"), MaxBytes = 1 << 20, SegmentBytes = 1 << 18, DropOldestWhenFull = false, FsyncEveryAppend = true }))
        {
            foreach (var frame in frames)
                queue.Append(frame);
        }

        File.WriteAllText(Path.Combine(directory, "serial"), lastSerial.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return frames;
    }
}
