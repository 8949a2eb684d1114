using System.Buffers.Binary;
using System.Data.Common;
using Irrigation.Server.Data;
using Irrigation.Sl651.Framing;

namespace Irrigation.Server.Uplink;

/// <summary>A frame waiting for the platform's acknowledgement: its row id (queue order), serial and bytes as first sent.</summary>
public sealed record UplinkFrame(long Id, ushort Serial, byte[] Frame);

/// <summary>
/// The SL 651 uplink's store-and-forward queue and serial numbers in the server database (migration 14), per station
/// address: <c>uplink_serials</c> holds the last serial given, <c>uplink_frames</c> the framed reports not yet
/// acknowledged, oldest first. Whichever instance leads gives the next serial and sends from the head, so a new leader
/// goes on exactly where a dead one stopped. One SQL text for SQLite (BLOB) and PostgreSQL (bytea).
/// </summary>
public sealed class UplinkQueueStore
{
    private readonly ServerDatabase _database;

    public UplinkQueueStore(ServerDatabase database) => _database = database;

    /// <summary>
    /// Gives <paramref name="station"/> its next serial (up serials cycle 1..65535, §6.6.2.4), frames it with
    /// <paramref name="frame"/> and appends it, in one transaction; null (the serial not used) when the station's
    /// queued bytes would pass <paramref name="maxBytes"/>. The serial row stays locked until the commit, so with
    /// several writers the serials reach the queue — and the platform — in the order they are given.
    /// </summary>
    public ushort? TryAppend(string station, long maxBytes, Func<ushort, byte[]> frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        ushort serial;
        using (var next = connection.Command(transaction,
                   """
                   INSERT INTO uplink_serials (station, serial) VALUES (@station, 1)
                   ON CONFLICT (station) DO UPDATE SET serial = CASE WHEN uplink_serials.serial >= 65535 THEN 1 ELSE uplink_serials.serial + 1 END
                   RETURNING serial
                   """, ("@station", station)))
            serial = (ushort)Convert.ToInt64(next.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        var bytes = frame(serial);
        long queued;
        using (var used = connection.Command(transaction, "SELECT coalesce(sum(bytes), 0) FROM uplink_frames WHERE station = @station", ("@station", station)))
            queued = Convert.ToInt64(used.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (queued + bytes.Length > maxBytes)
            return null; // rolled back: the serial is given again to the next report
        Insert(connection, transaction, station, serial, bytes);
        transaction.Commit();
        return serial;
    }

    /// <summary>The oldest frame of <paramref name="station"/> and how many are queued (it included), or null and 0.</summary>
    public (UplinkFrame? Head, long Count) Peek(string station)
    {
        using var connection = _database.Open();
        using var select = connection.Command(
            """
            SELECT id, serial, frame, (SELECT count(*) FROM uplink_frames c WHERE c.station = @station)
            FROM uplink_frames WHERE station = @station ORDER BY id LIMIT 1
            """, ("@station", station));
        using var reader = select.ExecuteReader();
        return reader.Read() ? (new UplinkFrame(reader.GetInt64(0), (ushort)reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)), reader.GetInt64(3)) : (null, 0);
    }

    /// <summary>Removes a frame the platform acknowledged (nothing when another instance removed it already).</summary>
    public void Remove(long id)
    {
        using var connection = _database.Open();
        using var delete = connection.Command("DELETE FROM uplink_frames WHERE id = @id", ("@id", id));
        delete.ExecuteNonQuery();
    }

    /// <summary>Frames waiting, over every station.</summary>
    public long Count()
    {
        using var connection = _database.Open();
        using var count = connection.Command("SELECT count(*) FROM uplink_frames");
        return Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The last serial given to <paramref name="station"/> (0 before the first), which a keep-alive repeats.</summary>
    public ushort LastSerial(string station)
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT serial FROM uplink_serials WHERE station = @station", ("@station", station));
        return select.ExecuteScalar() is { } value and not DBNull ? (ushort)Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : (ushort)0;
    }

    /// <summary>
    /// Takes a station's queue and serial as an older version kept them on disk, in one transaction — only when the
    /// database has no serial for the station yet (its first start on this database); false otherwise.
    /// </summary>
    public bool Import(string station, IReadOnlyList<byte[]> frames, ushort lastSerial)
    {
        ArgumentNullException.ThrowIfNull(frames);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        using (var claim = connection.Command(transaction, "INSERT INTO uplink_serials (station, serial) VALUES (@station, @serial) ON CONFLICT (station) DO NOTHING",
                   ("@station", station), ("@serial", (long)lastSerial)))
        {
            if (claim.ExecuteNonQuery() == 0)
                return false;
        }

        foreach (var frame in frames)
            Insert(connection, transaction, station, SerialOf(frame), frame);
        transaction.Commit();
        return true;
    }

    /// <summary>The serial a framed up message carries (bytes 14-15, §6.6.2.4); 0 for a frame too short to hold one.</summary>
    public static ushort SerialOf(byte[] frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Length >= Sl651FrameFormatter.HeaderLength + 2 ? BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(Sl651FrameFormatter.HeaderLength)) : (ushort)0;
    }

    private void Insert(DbConnection connection, DbTransaction transaction, string station, ushort serial, byte[] frame)
    {
        using var insert = connection.Command(transaction,
            $"INSERT INTO uplink_frames (station, serial, frame, bytes, queued_ms) VALUES (@station, @serial, @frame, @bytes, {_database.Dialect.NowMs})",
            ("@station", station), ("@serial", (long)serial), ("@frame", frame), ("@bytes", (long)frame.Length));
        insert.ExecuteNonQuery();
    }
}
