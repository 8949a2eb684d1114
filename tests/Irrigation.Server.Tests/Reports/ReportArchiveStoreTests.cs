using System.Text;
using System.Text.Json;
using Irrigation.Server.Configuration;
using Irrigation.Server.Data;
using Irrigation.Server.Reports;
using Irrigation.Server.Tests.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Tests.Reports;

/// <summary>
/// The monthly report archive in the server database, on both engines: what one instance keeps another lists and
/// serves byte for byte; a month is kept whole or not at all; files an older version kept on disk are imported once
/// and never replace a month the database already has.
/// </summary>
public abstract class ReportArchiveStoreTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : ReportArchiveStoreTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : ReportArchiveStoreTests(DatabaseProvider.PostgreSql);

    private static ArchivedReportFile File(string period, string scope, string subject, string file, int size, byte seed)
    {
        var bytes = Enumerable.Range(0, size).Select(i => (byte)(i * 31 + seed)).ToArray();
        var type = file.EndsWith(".pdf", StringComparison.Ordinal) ? ReportArchive.PdfType : ReportArchive.XlsxType;
        return new ArchivedReportFile(new ArchivedReport(period, scope, subject, $"{subject}运行月报", file, bytes.Length), type, bytes);
    }

    [Fact]
    public void Replace_KeptByOneInstance_ListedAndServedByAnotherWithTheSameBytes()
    {
        var files = new[]
        {
            File("2026-11", "town", "城东镇", "town-城东镇.xlsx", 70_000, 1),
            File("2026-11", "town", "城东镇", "town-城东镇.pdf", 300, 2),
            File("2026-11", "station", "st001", "station-st001.xlsx", 5, 3),
        };
        new ReportArchiveStore(Database).Replace("2026-11", files, "generated");
        new ReportArchiveStore(Database).Replace("2026-10", [File("2026-10", "station", "st001", "station-st001.pdf", 10, 4)], "generated");

        var other = new ReportArchiveStore(Reopen());
        Assert.True(other.Has("2026-11"));
        Assert.False(other.Has("2026-12"));
        Assert.Equal(
            ["2026-11/town-城东镇.xlsx", "2026-11/town-城东镇.pdf", "2026-11/station-st001.xlsx", "2026-10/station-st001.pdf"],
            other.List().Select(r => $"{r.Period}/{r.File}").ToArray());
        Assert.Equal(files[0].Entry, other.List()[0]);
        foreach (var file in files)
        {
            var kept = other.Find("2026-11", file.Entry.File)!;
            Assert.Equal(file.Content, kept.Content);
            Assert.Equal(file.ContentType, kept.ContentType);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file.Content)), kept.Sha256);
        }

        Assert.Null(other.Find("2026-11", "../irrigation.db"));
        Assert.Null(other.Find("2026-10", "town-城东镇.pdf"));
    }

    [Fact]
    public void Replace_AgainAndWithNoFiles_TheMonthIsExactlyTheNewSet()
    {
        var store = new ReportArchiveStore(Database);
        store.Replace("2026-11", [File("2026-11", "station", "st001", "station-st001.pdf", 10, 1), File("2026-11", "station", "st002", "station-st002.pdf", 10, 2)], "generated");
        store.Replace("2026-11", [File("2026-11", "station", "st001", "station-st001.pdf", 20, 3)], "generated");
        store.Replace("2026-09", [], "generated"); // a month without stations is still kept: it is not generated again

        Assert.Equal(["2026-11/station-st001.pdf"], store.List().Select(r => $"{r.Period}/{r.File}").ToArray());
        Assert.Equal(20, store.Find("2026-11", "station-st001.pdf")!.Content.Length);
        Assert.True(store.Has("2026-09"));
    }

    [Fact]
    public void Replace_FailingHalfWay_KeepsNothingOfTheMonth_AndTheOldSetStays()
    {
        var store = new ReportArchiveStore(Database);
        store.Replace("2026-11", [File("2026-11", "station", "st001", "station-st001.pdf", 10, 1)], "generated");
        var twice = File("2026-11", "station", "st002", "station-st002.pdf", 10, 2);

        Assert.ThrowsAny<System.Data.Common.DbException>(() => store.Replace("2026-11", [File("2026-11", "station", "st003", "station-st003.pdf", 10, 3), twice, twice], "generated"));
        var october = twice with { Entry = twice.Entry with { Period = "2026-10" } };
        Assert.ThrowsAny<System.Data.Common.DbException>(() => store.Replace("2026-10", [october, october], "generated"));

        Assert.Equal(["2026-11/station-st001.pdf"], store.List().Select(r => $"{r.Period}/{r.File}").ToArray());
        Assert.False(store.Has("2026-10"));
    }

    [Fact]
    public void AddIfAbsent_MonthAlreadyKept_LeavesItAsItIs()
    {
        var store = new ReportArchiveStore(Database);
        Assert.True(store.AddIfAbsent("2026-11", [File("2026-11", "station", "st001", "station-st001.pdf", 10, 1)], "imported"));
        Assert.False(new ReportArchiveStore(Reopen()).AddIfAbsent("2026-11", [File("2026-11", "station", "st009", "station-st009.pdf", 10, 2)], "imported"));

        Assert.Equal(["2026-11/station-st001.pdf"], store.List().Select(r => $"{r.Period}/{r.File}").ToArray());
    }

    [Fact]
    public void Import_FilesAnOlderVersionKeptOnDisk_ImportedOnceAndRenamed_AGeneratedMonthNotReplaced()
    {
        using var data = new ScratchDirectory("report-import");
        var root = Path.Combine(data.Path, "reports");
        var november = WriteOldMonth(root, "2026-11", ("town-城东镇.pdf", "town", "城东镇"), ("station-st001.xlsx", "station", "st001"));
        WriteOldMonth(root, "2026-10", ("station-st001.pdf", "station", "st001"));
        Directory.CreateDirectory(Path.Combine(root, ".2026-09.0123456789abcdef")); // an interrupted write: not a month
        var store = new ReportArchiveStore(Database);
        store.Replace("2026-10", [File("2026-10", "station", "st002", "station-st002.pdf", 10, 1)], "generated");
        var import = new ReportArchiveImport(store, Options.Create(new ReportOptions()), Options.Create(new SiteOptions { DataDirectory = data.Path }), NullLogger<ReportArchiveImport>.Instance);

        Assert.True(import.Run());
        Assert.True(import.Run()); // the second start finds nothing left to import

        Assert.Equal(["2026-11/town-城东镇.pdf", "2026-11/station-st001.xlsx", "2026-10/station-st002.pdf"], store.List().Select(r => $"{r.Period}/{r.File}").ToArray());
        Assert.Equal(System.IO.File.ReadAllBytes(Path.Combine(november + ReportArchiveImport.ImportedSuffix, "town-城东镇.pdf")), store.Find("2026-11", "town-城东镇.pdf")!.Content);
        Assert.Equal(ReportArchive.PdfType, store.Find("2026-11", "town-城东镇.pdf")!.ContentType);
        Assert.Equal(ReportArchive.XlsxType, store.Find("2026-11", "station-st001.xlsx")!.ContentType);
        Assert.Equal(
            [".2026-09.0123456789abcdef", "2026-10.imported", "2026-11.imported"],
            Directory.EnumerateDirectories(root).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Import_IndexNamingAPathOutsideTheMonth_RefusedAndLeftOnDisk()
    {
        using var data = new ScratchDirectory("report-import-bad");
        var month = WriteOldMonth(Path.Combine(data.Path, "reports"), "2026-11", ("../../irrigation.db", "station", "st001"));
        var store = new ReportArchiveStore(Database);
        var import = new ReportArchiveImport(store, Options.Create(new ReportOptions()), Options.Create(new SiteOptions { DataDirectory = data.Path }), NullLogger<ReportArchiveImport>.Instance);

        Assert.True(import.Run());

        Assert.Empty(store.List());
        Assert.True(Directory.Exists(month));
    }

    private static readonly JsonSerializerOptions OldIndexJson = new(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A month as versions before the shared archive wrote it: the files and an index.json listing them.</summary>
    private static string WriteOldMonth(string root, string period, params (string File, string Scope, string Subject)[] files)
    {
        var directory = Path.Combine(root, period);
        Directory.CreateDirectory(directory);
        var index = new List<ArchivedReport>();
        foreach (var (file, scope, subject) in files)
        {
            var bytes = Encoding.UTF8.GetBytes($"{period} {file}");
            if (Path.GetFileName(file) == file)
                System.IO.File.WriteAllBytes(Path.Combine(directory, file), bytes);
            index.Add(new ArchivedReport(period, scope, subject, subject + "运行月报", file, bytes.Length));
        }

        System.IO.File.WriteAllText(Path.Combine(directory, "index.json"), JsonSerializer.Serialize(index, OldIndexJson));
        return directory;
    }
}
