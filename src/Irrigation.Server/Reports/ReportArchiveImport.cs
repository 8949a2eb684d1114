using System.Data.Common;
using System.Text.Json;
using Irrigation.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Reports;

/// <summary>
/// Moves the monthly reports that versions before the shared archive kept on disk
/// (<c>{DataDirectory}/{ArchiveDirectory}/{yyyy-MM}/</c> with an <c>index.json</c>) into the server database, once:
/// each month goes in whole, in one transaction, and only when the database has nothing for it (what an instance
/// generated is never replaced by an old file); then its directory is renamed <c>{yyyy-MM}.imported</c>, so the next
/// start skips it and an operator can see what was moved (and delete it). Unreadable months are logged and left as
/// they are.
/// </summary>
public sealed class ReportArchiveImport
{
    public const string ImportedSuffix = ".imported";
    private const string IndexFile = "index.json";
    private static readonly JsonSerializerOptions IndexJson = new(JsonSerializerDefaults.Web);
    private readonly ReportArchiveStore _store;
    private readonly ILogger<ReportArchiveImport> _logger;

    public ReportArchiveImport(ReportArchiveStore store, IOptions<ReportOptions> options, IOptions<SiteOptions> site, ILogger<ReportArchiveImport> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(site);
        _store = store;
        _logger = logger;
        Directory = Path.Combine(site.Value.DataPath(), options.Value.ArchiveDirectory);
    }

    /// <summary>Where an older version kept the reports.</summary>
    public string Directory { get; }

    /// <summary>Imports every month still on disk; false when the database could not be reached (try again later).</summary>
    public bool Run()
    {
        if (!System.IO.Directory.Exists(Directory))
            return true;
        foreach (var path in System.IO.Directory.EnumerateDirectories(Directory).Order(StringComparer.Ordinal))
        {
            var month = Path.GetFileName(path);
            if (month is not { Length: 7 } || !ReportPeriod.TryParse(month, out _))
                continue; // scratch directories of an interrupted write, months already imported
            try
            {
                ImportMonth(month, path);
            }
            catch (DbException ex)
            {
                _logger.LogWarning("Reports kept on disk for {Month} not imported yet: {Reason}", month, ex.Message);
                return false;
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException or InvalidDataException)
            {
                _logger.LogError("Reports kept on disk for {Month} ({Path}) cannot be imported: {Reason}; left where they are.", month, path, ex.Message);
            }
        }

        return true;
    }

    private void ImportMonth(string month, string path)
    {
        var index = JsonSerializer.Deserialize<List<ArchivedReport>>(File.ReadAllText(Path.Combine(path, IndexFile)), IndexJson)
            ?? throw new InvalidDataException($"{IndexFile} is empty");
        var files = new List<ArchivedReportFile>(index.Count);
        foreach (var entry in index)
        {
            // Only plain file names the index lists, in this month's directory.
            if (entry.Period != month || string.IsNullOrEmpty(entry.File) || Path.GetFileName(entry.File) != entry.File)
                throw new InvalidDataException($"{IndexFile} lists '{entry.Period}/{entry.File}'");
            var bytes = File.ReadAllBytes(Path.Combine(path, entry.File));
            var type = entry.File.EndsWith(".pdf", StringComparison.Ordinal) ? ReportArchive.PdfType : ReportArchive.XlsxType;
            files.Add(new ArchivedReportFile(entry with { Bytes = bytes.Length }, type, bytes));
        }

        var added = _store.AddIfAbsent(month, files, "imported");
        System.IO.Directory.Move(path, path + ImportedSuffix);
        if (added)
            _logger.LogWarning("Reports kept on disk for {Month}: {Files} files imported into the server database; the directory is now {Path}.", month, files.Count, path + ImportedSuffix);
        else
            _logger.LogWarning("Reports kept on disk for {Month} not imported: the server database already keeps that month; the directory is now {Path}.", month, path + ImportedSuffix);
    }
}
