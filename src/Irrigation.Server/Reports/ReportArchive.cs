using System.Data.Common;
using System.Diagnostics.Metrics;
using Irrigation.Influx.Query;
using Irrigation.Server.Leadership;
using Irrigation.Server.Observability;
using Irrigation.Server.Storage;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Reports;

/// <summary>
/// Generates and keeps the monthly reports (月报) of every town and every station once a Beijing month has ended
/// (after <see cref="ReportOptions.GenerateAfter"/>, for late replays and the accounts to settle), as XLSX and PDF in
/// the server database (<see cref="ReportArchiveStore"/>), so every instance lists and serves them. Only the leading
/// instance generates. A month is kept in one transaction, so it is either all there or not at all; one that failed
/// (InfluxDB or the database down) is tried again at the next check. At start, reports an older version kept on this
/// instance's disk are imported once (<see cref="ReportArchiveImport"/>).
/// </summary>
public sealed class ReportArchive : BackgroundService
{
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    public const string PdfType = "application/pdf";
    private static readonly TimeSpan CheckEvery = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SchemaWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LeaderWait = TimeSpan.FromSeconds(5);
    private readonly ReportBuilder _builder;
    private readonly InfluxSchema _schema;
    private readonly ReportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ReportArchive> _logger;
    private readonly InstanceLeadership _leadership;
    private readonly ReportArchiveStore _store;
    private readonly ReportArchiveImport _import;
    private readonly Counter<long> _generated;
    private readonly Counter<long> _failures;
    private readonly SemaphoreSlim _writing = new(1, 1);

    public ReportArchive(ReportBuilder builder, InfluxSchema schema, IOptions<ReportOptions> options, TimeProvider time, IMeterFactory meters, ILogger<ReportArchive> logger,
        InstanceLeadership leadership, ReportArchiveStore store, ReportArchiveImport import)
    {
        ArgumentNullException.ThrowIfNull(options);
        _builder = builder;
        _schema = schema;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _leadership = leadership;
        _store = store;
        _import = import;
        var meter = ServerMeters.Create(meters);
        _generated = meter.CreateCounter<long>("irrigation_reports_archived", description: "Monthly reports generated and kept (files).");
        _failures = meter.CreateCounter<long>("irrigation_report_archive_failures", description: "Monthly report generations that failed and will be tried again.");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Every instance imports what it has on disk (it may be the one a bureau upgraded), leading or not.
            while (!_import.Run())
                await Task.Delay(RetryAfter, _time, stoppingToken);
            if (!_options.Archive)
                return;
            while (!stoppingToken.IsCancellationRequested)
            {
                // The leading instance generates the month's reports into the shared database (docs/scale-out.md).
                if (!_leadership.IsLeader)
                {
                    await Task.Delay(LeaderWait, _time, stoppingToken);
                    continue;
                }

                await Task.Delay(await CheckAsync(stoppingToken), _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Generates last month's reports when it is time and they are not kept yet; returns when to check again.</summary>
    private async Task<TimeSpan> CheckAsync(CancellationToken stoppingToken)
    {
        var month = ReportPeriod.PreviousMonth(_time.GetUtcNow());
        try
        {
            if (_time.GetUtcNow().ToUnixTimeMilliseconds() < month.ToMs + (long)_options.GenerateAfter.TotalMilliseconds || Has(month))
                return CheckEvery;
            if (!_schema.Ready)
                return SchemaWait; // the retention policies the reports read are not there yet (just started)
            await GenerateAsync(month, stoppingToken);
            return CheckEvery;
        }
        catch (Exception ex) when (ex is InfluxQueryException or HttpRequestException or DbException or ReportFontException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
        {
            _failures.Add(1);
            _logger.LogWarning("Monthly reports for {Month} not generated ({Reason}); trying again in {Seconds} s.", month.Key, ex.Message, RetryAfter.TotalSeconds);
            return RetryAfter;
        }
    }

    public bool Has(ReportPeriod month)
    {
        ArgumentNullException.ThrowIfNull(month);
        return _store.Has(month.Key);
    }

    /// <summary>Keeps every town's and station's report of <paramref name="month"/> (replacing what was kept); returns how many files.</summary>
    public async Task<int> GenerateAsync(ReportPeriod month, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(month);
        await _writing.WaitAsync(cancellationToken);
        try
        {
            var files = new List<ArchivedReportFile>();
            foreach (var report in await _builder.AllAsync(month, cancellationToken))
            {
                var stem = FileStem(report);
                foreach (var (extension, type, bytes) in new[] { ("xlsx", XlsxType, ReportWorkbook.Create(report)), ("pdf", PdfType, ReportDocument.Create(report, _options.FontFile)) })
                    files.Add(new ArchivedReportFile(new ArchivedReport(month.Key, report.Scope, report.Subject, report.Title, $"{stem}.{extension}", bytes.Length), type, bytes));
            }

            _store.Replace(month.Key, files, "generated");
            _generated.Add(files.Count);
            _logger.LogInformation("Monthly reports for {Month}: {Files} files kept in the server database.", month.Key, files.Count);
            return files.Count;
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
    public IReadOnlyList<ArchivedReport> List() => _store.List();

    /// <summary>A kept file, only by the month and name the list gives (never a path made from the request).</summary>
    public ArchivedReportContent? Find(string period, string file) => _store.Find(period, file);

    public override void Dispose()
    {
        _writing.Dispose();
        base.Dispose();
    }
}
