using System.Globalization;
using Irrigation.Spool;

namespace Irrigation.Server.Uplink;

/// <summary>
/// Moves a station's SL 651 queue and serial that versions before the shared queue kept on disk
/// (<c>{DataDirectory}/sl651/{address}/queue</c> and <c>serial</c>) into the server database, once, at start: the
/// frames not yet acknowledged, in order and as they were framed, and the last serial given — only when the database
/// has no serial for the station yet. Then the directory is renamed <c>{address}.imported</c>. When the database
/// already has the station (another instance ran it), the files are left and an error says so: their serials would
/// clash with the ones given since.
/// </summary>
internal sealed class UplinkQueueImport(UplinkQueueStore store, string root, long maxBytes, ILogger logger)
{
    public const string ImportedSuffix = ".imported";
    private const int Batch = 256;

    public void Run(string station)
    {
        var directory = Path.Combine(root, station);
        if (!Directory.Exists(directory))
            return;
        var serialFile = Path.Combine(directory, "serial");
        var serial = File.Exists(serialFile) && ushort.TryParse(File.ReadAllText(serialFile), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : (ushort)0;
        var frames = new List<byte[]>();
        QueuePosition? last = null;
        var segment = (int)Math.Min(DurableQueueOptions.DefaultSegmentBytes, maxBytes / 4);
        using (var queue = DurableQueue.Open(new DurableQueueOptions { Directory = Path.Combine(directory, "queue"), MaxBytes = maxBytes, SegmentBytes = segment, DropOldestWhenFull = false, FsyncEveryAppend = true }, logger))
        {
            // Bounded: the queue holds at most Unread records, read in batches.
            for (var rounds = queue.Unread / Batch + 1; rounds > 0; rounds--)
            {
                var batch = queue.ReadBatch(Batch);
                if (batch.Count == 0)
                    break;
                frames.AddRange(batch.Select(r => r.Payload));
                last = batch[^1].Position;
            }

            // The serial file was written just after each append: a kill in between left the newest frame one ahead.
            if (frames.Count > 0 && UplinkQueueStore.SerialOf(frames[^1]) == (serial == ushort.MaxValue ? 1 : serial + 1))
                serial = UplinkQueueStore.SerialOf(frames[^1]);
            if (!store.Import(station, frames, serial))
            {
                logger.LogError("SL 651 uplink {Station}: {Frames} frame(s) and serial {Serial} kept on disk in {Directory} by an older version were not imported: the server database already has this station's queue. Send or delete them by hand.",
                    station, frames.Count, serial, directory);
                return;
            }

            if (last is { } position)
                queue.Commit(position);
        }

        Directory.Move(directory, directory + ImportedSuffix);
        logger.LogWarning("SL 651 uplink {Station}: {Frames} unacknowledged frame(s) and serial {Serial} imported from {Directory} into the server database; the directory is now {Imported}.",
            station, frames.Count, serial, directory, directory + ImportedSuffix);
    }
}
