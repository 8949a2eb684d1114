using System.Text.Json;
using Irrigation.Contracts;
using Irrigation.Server.Data;

namespace Irrigation.Server.Completeness;

/// <summary>
/// The completeness tracking in the server database: each station's stream (watermark and stored ranges above it) saved every few
/// seconds and at shutdown, and every range recorded as lost. Saved state may lag what is stored (a crash between
/// saves): the lag then shows as a gap and is asked for again — a repair stores nothing twice (InfluxDB points are
/// keyed by time) — never the other way round.
/// </summary>
public sealed class SequenceStore
{
    private readonly ServerDatabase _database;

    public SequenceStore(ServerDatabase database) => _database = database;

    public List<StationCompleteness> Load()
    {
        var streams = new List<StationCompleteness>();
        using var connection = _database.Open();
        using var select = connection.Command("SELECT station, epoch, gateway, contiguous, received, gap_since_ms, last_request_ms, requests, repaired, lost, updated_ms FROM sequence_streams");
        using var reader = select.ExecuteReader();
        while (reader.Read())
        {
            var received = ReadRanges(reader.GetString(4));
            streams.Add(new StationCompleteness(reader.GetString(0), reader.GetString(1), reader.NullableString(2), reader.GetInt64(3),
                received.Count > 0 ? received[^1].To : reader.GetInt64(3), received, 0, reader.GetInt64(5), reader.GetInt64(6), reader.GetInt32(7),
                reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10)));
        }

        return streams;
    }

    public void Save(IReadOnlyList<StationCompleteness> streams, IReadOnlyList<DataLoss> losses)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(losses);
        if (streams.Count == 0 && losses.Count == 0)
            return;
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        foreach (var s in streams)
        {
            using var upsert = connection.Command(
                """
                INSERT INTO sequence_streams (station, epoch, gateway, contiguous, received, gap_since_ms, last_request_ms, requests, repaired, lost, updated_ms)
                VALUES (@s, @e, @g, @c, @r, @gap, @req, @n, @rep, @lost, @u)
                ON CONFLICT (station) DO UPDATE SET epoch = excluded.epoch, gateway = excluded.gateway, contiguous = excluded.contiguous,
                    received = excluded.received, gap_since_ms = excluded.gap_since_ms, last_request_ms = excluded.last_request_ms,
                    requests = excluded.requests, repaired = excluded.repaired, lost = excluded.lost, updated_ms = excluded.updated_ms
                """,
                ("@s", s.Station), ("@e", s.Epoch), ("@g", s.Gateway), ("@c", s.Contiguous), ("@r", WriteRanges(s.Received)), ("@gap", s.GapSinceMs),
                ("@req", s.LastRequestMs), ("@n", s.Requests), ("@rep", s.Repaired), ("@lost", s.Lost), ("@u", s.UpdatedMs));
            upsert.Transaction = transaction;
            upsert.ExecuteNonQuery();
        }

        foreach (var loss in losses)
        {
            using var insert = connection.Command(
                "INSERT INTO data_losses (station, epoch, gateway, from_seq, to_seq, messages, reason, recorded_ms) VALUES (@s, @e, @g, @f, @t, @m, @r, @at)",
                ("@s", loss.Station), ("@e", loss.Epoch), ("@g", loss.Gateway), ("@f", loss.Range.From), ("@t", loss.Range.To), ("@m", loss.Messages), ("@r", loss.Reason), ("@at", loss.RecordedAtMs));
            insert.Transaction = transaction;
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>The newest <paramref name="limit"/> losses of a station (all stations when null), newest first.</summary>
    public List<DataLoss> Losses(string? station, int limit)
    {
        using var connection = _database.Open();
        using var select = connection.Command(
            "SELECT station, epoch, gateway, from_seq, to_seq, messages, reason, recorded_ms FROM data_losses WHERE (CAST(@s AS TEXT) IS NULL OR station = @s) ORDER BY id DESC LIMIT @n",
            ("@s", station), ("@n", limit));
        using var reader = select.ExecuteReader();
        var losses = new List<DataLoss>();
        while (reader.Read())
        {
            losses.Add(new DataLoss(reader.GetString(0), reader.GetString(1), reader.NullableString(2), new SequenceRange(reader.GetInt64(3), reader.GetInt64(4)),
                reader.GetInt64(5), reader.GetString(6), reader.GetInt64(7)));
        }

        return losses;
    }

    private static string WriteRanges(IReadOnlyList<SequenceRange> ranges) => JsonSerializer.Serialize(ranges.Select(r => new[] { r.From, r.To }));

    private static List<SequenceRange> ReadRanges(string json)
    {
        try
        {
            return (JsonSerializer.Deserialize<long[][]>(json) ?? []).Where(p => p.Length == 2 && p[0] >= 1 && p[1] >= p[0]).Select(p => new SequenceRange(p[0], p[1])).ToList();
        }
        catch (JsonException)
        {
            return []; // unreadable: those numbers show as a gap and are asked for again
        }
    }
}
