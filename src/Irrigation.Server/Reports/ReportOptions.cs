using Irrigation.Server.Configuration;

namespace Irrigation.Server.Reports;

/// <summary>Settings of the reports (<c>Irrigation:Reports</c>, docs/reports.md).</summary>
public sealed class ReportOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Reports";

    /// <summary>制表单位: the bureau named on every report.</summary>
    public string Organisation { get; set; } = "县水利局";

    /// <summary>
    /// The TrueType font embedded in PDFs (it must hold CJK and Latin glyphs with TrueType outlines: PDFsharp reads
    /// neither font collections nor CFF outlines). Debian's fonts-arphic-gbsn00lp, a Song (宋体) face as official documents use.
    /// </summary>
    public string FontFile { get; set; } = "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf";

    /// <summary>
    /// Where versions before the shared archive kept the monthly reports, relative to <c>Irrigation:DataDirectory</c>:
    /// what is found there is imported into the server database once at start (the reports are kept there now).
    /// </summary>
    public string ArchiveDirectory { get; set; } = "reports";

    /// <summary>How long after a Beijing month ends its reports are generated: time for late replays and the accounts to settle.</summary>
    public TimeSpan GenerateAfter { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Whether the server generates the monthly reports by itself.</summary>
    public bool Archive { get; set; } = true;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Organisation) || Organisation.Length > 60)
            throw new ArgumentException("Irrigation:Reports:Organisation must name the bureau (1..60 characters).");
        if (string.IsNullOrWhiteSpace(FontFile))
            throw new ArgumentException("Irrigation:Reports:FontFile must name a TrueType font file with CJK glyphs.");
        if (string.IsNullOrWhiteSpace(ArchiveDirectory))
            throw new ArgumentException("Irrigation:Reports:ArchiveDirectory must name a directory.");
        if (GenerateAfter < TimeSpan.Zero || GenerateAfter > TimeSpan.FromDays(10))
            throw new ArgumentException("Irrigation:Reports:GenerateAfter must be 0..10 days.");
    }
}
