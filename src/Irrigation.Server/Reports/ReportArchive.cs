using System.Diagnostics.Metrics;
using System.Text.Json;
using Irrigation.Influx.Query;
using Irrigation.Server.Configuration;
using Irrigation.Server.Observability;
using Irrigation.Server.Storage;
using Microsoft.Extensions.Options;

using Irrigation.Server.Leadership;

namespace Irrigation.Server.Reports;

/// <summary>A kept report file as the API lists it.</summary>
public sealed record ArchivedReport(string Period, string Scope, string Subject, string Name, string File, long Bytes);

/// <summary>
/// Generates and keeps the monthly reports (月报) of every town and every station once a Beijing month has ended
/// (after <see cref="ReportOptions.GenerateAfter"/>, for late replays and the accounts to settle), as XLSX and PDF
/// under <c>{data}/reports/{yyyy-MM}/</c>. A month is written to a scratch directory and renamed into place, so it
/// is either all there or not at all; one that failed (InfluxDB down) is tried again at the next check.
/// </summary>
public sealed class ReportArchive : BackgroundService
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions IndexJson = new(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly ReportBuilder _builder;
    private readonly InfluxSchema _schema;
    private readonly ReportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ReportArchive> _logger;
    private readonly InstanceLeadership _leadership;
    private readonly Counter<long> _generated;
    private readonly Counter<long> _failures;
    private readonly SemaphoreSlim _writing = new(1, 1);

    public ReportArchive(ReportBuilder builder, InfluxSchema schema, IOptions<ReportOptions> options, IOptions<SiteOptions> site, TimeProvider time, IMeterFactory meters, ILogger<ReportArchive> logger, InstanceLeadership leadership)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(site);
        _builder = builder;
        _schema = schema;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _leadership = leadership;
        Directory = Path.Combine(site.Value.DataPath(), _options.ArchiveDirectory);
        var meter = ServerMeters.Create(meters);
        _generated = meter.CreateCounter<long>("irrigation_reports_archived", description: "Monthly reports generated and kept (files).");
        _failures = meter.CreateCounter<long>("irrigation_report_archive_failures", description: "Monthly report generations that failed and will be tried again.");
    }

    public string Directory { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Archive)
            return;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // The leading instance generates the month's reports (into its own data directory, docs/scale-out.md).
                if (!_leadership.IsLeader)
                {
                    await Task.Delay(RetryAfter, _time, stoppingToken);
                    continue;
                }

                await Task.Delay(await CheckAsync(stoppingToken) ? CheckEvery : RetryAfter, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Generates last month's reports when it is time and they are not kept yet; false when it must be tried again soon.</summary>
    private async Task<bool> CheckAsync(CancellationToken stoppingToken)
    {
        var month = ReportPeriod.PreviousMonth(_time.GetUtcNow());
        if (_time.GetUtcNow().ToUnixTimeMilliseconds() < month.ToMs + (long)_options.GenerateAfter.TotalMilliseconds || Has(month))
            return true;
        if (!_schema.Ready)
            return false; // the retention policies the reports read are not there yet
        try
        {
            await GenerateAsync(month, stoppingToken);
            return true;
        }
        catch (Exception ex) when (ex is InfluxQueryException or HttpRequestException or IOException or ReportFontException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
        {
            _failures.Add(1);
            _logger.LogWarning("Monthly reports for {Month} not generated ({Reason}); trying again in {Seconds} s.", month.Key, ex.Message, RetryAfter.TotalSeconds);
            return false;
        }
    }

    public bool Has(ReportPeriod month)
    {
        ArgumentNullException.ThrowIfNull(month);
        return File.Exists(Path.Combine(Directory, month.Key, IndexFile));
    }

    private const string IndexFile = "index.json";

    /// <summary>Writes every town's and station's report of <paramref name="month"/> (replacing what was kept); returns how many files.</summary>
    public async Task<int> GenerateAsync(ReportPeriod month, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(month);
        await _writing.WaitAsync(cancellationToken);
        try
        {
            var scratch = Path.Combine(Directory, $".{month.Key}.{Guid.NewGuid():N}");
            System.IO.Directory.CreateDirectory(scratch);
            var index = new List<ArchivedReport>();
            try
            {
                foreach (var report in await _builder.AllAsync(month, cancellationToken))
                {
                    var stem = FileStem(report);
                    foreach (var (extension, bytes) in new[] { ("xlsx", ReportWorkbook.Create(report)), ("pdf", ReportDocument.Create(report, _options.FontFile)) })
                    {
                        var file = $"{stem}.{extension}";
                        await File.WriteAllBytesAsync(Path.Combine(scratch, file), bytes, cancellationToken);
                        index.Add(new ArchivedReport(month.Key, report.Scope, report.Subject, report.Title, file, bytes.Length));
                    }
                }

                await File.WriteAllTextAsync(Path.Combine(scratch, IndexFile), JsonSerializer.Serialize(index, IndexJson), cancellationToken);
                var target = Path.Combine(Directory, month.Key);
                if (System.IO.Directory.Exists(target))
                    System.IO.Directory.Delete(target, recursive: true);
                System.IO.Directory.Move(scratch, target);
            }
            finally
            {
                if (System.IO.Directory.Exists(scratch))
                    System.IO.Directory.Delete(scratch, recursive: true);
            }

            _generated.Add(index.Count);
            _logger.LogInformation("Monthly reports for {Month}: {Files} files kept in {Directory}.", month.Key, index.Count, Path.Combine(Directory, month.Key));
            return index.Count;
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary><c>town-城东镇</c>, <c>station-st001</c>: a file name, whatever characters a town's name has.</summary>
    public static string FileStem(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var invalid = Path.GetInvalidFileNameChars();
        var subject = new string(report.Subject.Select(c => invalid.Contains(c) || c == '.' ? '_' : c).ToArray());
        return $"{report.Scope}-{subject}";
    }

    /// <summary>Every kept report, newest month first.</summary>
    public IReadOnlyList<ArchivedReport> List()
    {
        if (!System.IO.Directory.Exists(Directory))
            return [];
        var list = new List<ArchivedReport>();
        foreach (var month in System.IO.Directory.EnumerateDirectories(Directory).Select(Path.GetFileName).Where(n => n is { Length: 7 } && n[0] != '.').Order(StringComparer.Ordinal).Reverse())
        {
            try
            {
                list.AddRange(JsonSerializer.Deserialize<List<ArchivedReport>>(File.ReadAllText(Path.Combine(Directory, month!, IndexFile)), IndexJson) ?? []);
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                _logger.LogWarning("Kept reports of {Month} unreadable: {Reason}", month, ex.Message);
            }
        }

        return list;
    }

    /// <summary>The path of a kept file, only if the index lists it (never a path made from the request).</summary>
    public string? PathOf(string period, string file)
    {
        var entry = List().FirstOrDefault(r => r.Period == period && r.File == file);
        return entry is null ? null : Path.Combine(Directory, entry.Period, entry.File);
    }

    public override void Dispose()
    {
        _writing.Dispose();
        base.Dispose();
    }
}
