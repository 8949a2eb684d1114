using System.Data.Common;
using System.Security.Cryptography;
using Irrigation.Server.Data;

namespace Irrigation.Server.Reports;

/// <summary>A kept report file as the API lists it.</summary>
public sealed record ArchivedReport(string Period, string Scope, string Subject, string Name, string File, long Bytes);

/// <summary>A report file to keep: what the list shows, its content type and its bytes.</summary>
public sealed record ArchivedReportFile(ArchivedReport Entry, string ContentType, byte[] Content);

/// <summary>One kept file as served: its bytes, content type and SHA-256 (hex, lower case).</summary>
public sealed record ArchivedReportContent(string File, string ContentType, byte[] Content, string Sha256);

/// <summary>
/// The monthly report archive in the server database (migration 13): one row per month in <c>report_months</c> and
/// one per file, bytes included, in <c>report_files</c>. Every server instance on one database lists and serves the
/// same reports, whichever generated them. A month is written in one transaction — its files and its month row
/// together — so a reader sees all of a month or none of it; one SQL text for SQLite (BLOB) and PostgreSQL (bytea).
/// </summary>
public sealed class ReportArchiveStore
{
    private readonly ServerDatabase _database;

    public ReportArchiveStore(ServerDatabase database) => _database = database;

    /// <summary>Whether <paramref name="period"/> (yyyy-MM) is kept, even with no file (a month without stations).</summary>
    public bool Has(string period)
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT count(*) FROM report_months WHERE period = @period", ("@period", period));
        return Convert.ToInt64(select.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>
    /// Keeps <paramref name="files"/> as the whole of <paramref name="period"/>, replacing what was kept, in one
    /// transaction. <paramref name="source"/> says where they came from (<c>generated</c>, <c>imported</c>).
    /// </summary>
    public void Replace(string period, IReadOnlyList<ArchivedReportFile> files, string source)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        // Two writers of one month (a paused former leader and the new one) take turns instead of failing on the key.
        _database.Dialect.Serialize(connection, transaction, DatabaseLock.ReportArchive);
        using (var delete = connection.Command(transaction, "DELETE FROM report_months WHERE period = @period", ("@period", period)))
            delete.ExecuteNonQuery();
        Insert(connection, transaction, period, files, source);
        transaction.Commit();
    }

    /// <summary>
    /// Keeps <paramref name="files"/> as <paramref name="period"/> only when nothing is kept for it yet (an import of
    /// files from disk must never replace what an instance generated); false when the month was already there.
    /// </summary>
    public bool AddIfAbsent(string period, IReadOnlyList<ArchivedReportFile> files, string source)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        _database.Dialect.Serialize(connection, transaction, DatabaseLock.ReportArchive);
        using (var exists = connection.Command(transaction, "SELECT count(*) FROM report_months WHERE period = @period", ("@period", period)))
        {
            if (Convert.ToInt64(exists.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0)
                return false;
        }

        Insert(connection, transaction, period, files, source);
        transaction.Commit();
        return true;
    }

    private void Insert(DbConnection connection, DbTransaction transaction, string period, IReadOnlyList<ArchivedReportFile> files, string source)
    {
        var now = _database.Dialect.NowMs;
        using (var month = connection.Command(transaction, $"INSERT INTO report_months (period, files, created_ms, source) VALUES (@period, @files, {now}, @source)",
                   ("@period", period), ("@files", (long)files.Count), ("@source", source)))
            month.ExecuteNonQuery();
        for (var position = 0; position < files.Count; position++)
        {
            var file = files[position];
            var entry = file.Entry;
            using var insert = connection.Command(transaction,
                $"""
                INSERT INTO report_files (period, file, position, scope, subject, name, content_type, content, bytes, sha256, created_ms)
                VALUES (@period, @file, @position, @scope, @subject, @name, @type, @content, @bytes, @sha256, {now})
                """,
                ("@period", period), ("@file", entry.File), ("@position", (long)position), ("@scope", entry.Scope), ("@subject", entry.Subject), ("@name", entry.Name),
                ("@type", file.ContentType), ("@content", file.Content), ("@bytes", (long)file.Content.Length), ("@sha256", Sha256Of(file.Content)));
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>Every kept report, newest month first; within a month in the order they were kept (towns, then stations).</summary>
    public IReadOnlyList<ArchivedReport> List()
    {
        using var connection = _database.Open();
        using var select = connection.Command(
            """
            SELECT f.period, f.scope, f.subject, f.name, f.file, f.bytes FROM report_files f
            ORDER BY f.period DESC, f.position
            """);
        using var reader = select.ExecuteReader();
        var list = new List<ArchivedReport>();
        while (reader.Read())
            list.Add(new ArchivedReport(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
        return list;
    }

    /// <summary>One kept file by its month and file name as listed (never a path), or null.</summary>
    public ArchivedReportContent? Find(string period, string file)
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT content_type, content, sha256 FROM report_files WHERE period = @period AND file = @file", ("@period", period), ("@file", file));
        using var reader = select.ExecuteReader();
        return reader.Read() ? new ArchivedReportContent(file, reader.GetString(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2)) : null;
    }

    public static string Sha256Of(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
