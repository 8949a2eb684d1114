using FsCheck;
using FsCheck.Fluent;
using Irrigation.Spool.Tests.TestSupport;

namespace Irrigation.Spool.Tests;

/// <summary>
/// A random sequence of operations against a list-plus-two-indices model: what the queue hands out always matches.
/// </summary>
public sealed partial class DurableQueueTests
{
    private static readonly Gen<byte[]> Payload =
        from size in Gen.Frequency((6, Gen.Choose(1, 80)), (2, Gen.Choose(81, 1500)), (1, Gen.Choose(3000, 9000)))
        from seed in Gen.Choose(0, int.MaxValue)
        select Filled(size, seed);

    private static readonly Gen<QueueOp> Op = Gen.Frequency(
        (6, Payload.Select(p => (QueueOp)new AppendOp(p))),
        (4, Gen.Choose(1, 25).Select(n => (QueueOp)new ReadOp(n))),
        (3, Gen.Constant((QueueOp)new CommitLastReadOp())),
        (1, Gen.Constant((QueueOp)new RewindOp())),
        (1, Gen.Constant((QueueOp)new ReopenOp())),
        (1, Gen.Constant((QueueOp)new CrashOp())));

    [Fact]
    public void Operations_RandomSequence_DeliveriesMatchTheModel() =>
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(120).WithQuietOnSuccess(true),
            Prop.ForAll(Gen.Choose(0, 70).SelectMany(n => Gen.ArrayOf(Op, n)).ToArbitrary(), RunAgainstModel));

    private static void RunAgainstModel(QueueOp[] ops)
    {
        using var root = new SpoolDirectory();
        var dir = root;
        var queue = dir.Open();
        var appended = new List<byte[]>();
        int committed = 0, read = 0;
        (QueuePosition Position, int Index)? lastRead = null;

        foreach (var op in ops)
        {
            switch (op)
            {
                case AppendOp append:
                    queue.Append(append.Payload);
                    appended.Add(append.Payload);
                    break;
                case ReadOp r:
                    var batch = queue.ReadBatch(r.Max);
                    var expected = appended.Skip(read).Take(r.Max).ToList();
                    Assert.Equal(expected, batch.Select(b => b.Payload));
                    read += batch.Count;
                    if (batch.Count > 0)
                        lastRead = (batch[^1].Position, read);
                    break;
                case CommitLastReadOp when lastRead is { } last:
                    queue.Commit(last.Position);
                    committed = Math.Max(committed, last.Index);
                    read = Math.Max(read, committed);
                    break;
                case RewindOp:
                    queue.Rewind();
                    read = committed;
                    break;
                case ReopenOp:
                    queue.Dispose();
                    queue = dir.Open();
                    read = committed;
                    lastRead = null;
                    break;
                case CrashOp:
                    dir = dir.Snapshot();
                    queue = dir.Open();

                    // The cursor may lag the last commit (at-least-once), but never run ahead of it.
                    var recovered = appended.Count - (int)queue.Count;
                    Assert.InRange(recovered, 0, committed);
                    committed = read = recovered;
                    lastRead = null;
                    break;
            }

            Assert.Equal(appended.Count - committed, queue.Count);
            Assert.Equal(appended.Count - read, queue.Unread);
            Assert.Equal(0, queue.DroppedRecords);
        }

        var retained = queue.ScanRetained().ToList();
        Assert.InRange(retained.Count, appended.Count - committed, appended.Count);
        Assert.Equal(appended.Skip(appended.Count - retained.Count), retained);
        queue.Rewind();
        Assert.Equal(appended.Skip(committed), Records.ReadAll(queue).Select(r => r.Payload));
    }

    private static byte[] Filled(int size, int seed)
    {
        var payload = new byte[size];
        new Random(seed).NextBytes(payload);
        return payload;
    }

    private abstract record QueueOp;

    private sealed record AppendOp(byte[] Payload) : QueueOp
    {
        public override string ToString() => $"Append({Payload.Length} B)";
    }

    private sealed record ReadOp(int Max) : QueueOp;

    private sealed record CommitLastReadOp : QueueOp;

    private sealed record RewindOp : QueueOp;

    private sealed record ReopenOp : QueueOp;

    private sealed record CrashOp : QueueOp;
}
