using PdfSharp;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;

namespace Irrigation.Server.Reports;

/// <summary>The PDF font is missing or unreadable: the PDF cannot be made (the XLSX still can).</summary>
public sealed class ReportFontException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A report as a PDF (PDFsharp), A4 landscape, laid out like the workbook (<see cref="ReportLayout"/>), with the
/// configured CJK TrueType font embedded (subset), so it prints the same on any machine. Tables continue on the next
/// page with their header repeated.
/// </summary>
public static class ReportDocument
{
    private const string Family = "ReportCjk";
    private const double Margin = 30;
    private const double RowHeight = 14;
    private static readonly Lock FontLock = new();
    private static string? _fontFile;

    public static byte[] Create(Report report, string fontFile)
    {
        ArgumentNullException.ThrowIfNull(report);
        UseFont(fontFile);
        var document = new PdfDocument();
        document.Info.Title = report.Title;
        document.Info.Creator = "irrigation-server";
        var writer = new PageWriter(document);
        var title = new XFont(Family, 16, XFontStyleEx.Bold, Unicode);
        var text = new XFont(Family, 9, XFontStyleEx.Regular, Unicode);
        var cell = new XFont(Family, 7, XFontStyleEx.Regular, Unicode);
        var bold = new XFont(Family, 7, XFontStyleEx.Bold, Unicode);

        writer.Line(report.Title, title, 26, XStringFormats.TopCenter);
        foreach (var line in ReportLayout.Heading(report))
            writer.Line(line, text, 15);
        foreach (var table in ReportLayout.Tables(report))
        {
            writer.Space(8);
            writer.Line(table.Title, new XFont(Family, 10, XFontStyleEx.Bold, Unicode), 16);
            var widths = Widths(table.Columns.Count, writer.Width);
            var header = table.Columns.Select(c => c.Unit.Length > 0 ? $"{c.Header}\n（{c.Unit}）" : c.Header).ToArray();
            writer.BeginTable(header, widths, bold, RowHeight * 2);
            foreach (var row in report.Rows)
                writer.Row(table.Columns.Select(c => ReportLayout.Text(c.Value(row), c.Decimals)).ToArray(), cell, RowHeight);
            writer.Row(table.Columns.Select(c => ReportLayout.Text(c.Value(report.Total), c.Decimals)).ToArray(), bold, RowHeight, shaded: true);
        }

        writer.Space(8);
        writer.Line(ReportLayout.AlarmsTitle, new XFont(Family, 10, XFontStyleEx.Bold, Unicode), 16);
        writer.BeginTable(["告警类型", "规则", "次数（次）"], [200, 160, 80], bold, RowHeight);
        foreach (var kind in report.AlarmsByKind)
            writer.Row([kind.Title, kind.Rule, ReportLayout.Text(kind.Count, 0)], cell, RowHeight);
        writer.Row(["合计", "", ReportLayout.Text(report.AlarmsByKind.Sum(k => k.Count), 0)], bold, RowHeight, shaded: true);
        writer.Space(8);
        foreach (var note in ReportLayout.Notes(report))
            writer.Line(note, cell, 11);
        writer.Space(14);
        writer.Line(ReportLayout.SignatureLine, text, 15);
        writer.Finish();

        using var stream = new MemoryStream();
        document.Save(stream, false);
        return stream.ToArray();
    }

    private static readonly XPdfFontOptions Unicode = new(PdfFontEncoding.Unicode);

    /// <summary>The embedded Song face has no superscript digits: m³ prints as m3 rather than as a blank.</summary>
    private static string Printable(string text) => text.Replace('³', '3').Replace('²', '2');

    /// <summary>The first column (date or station name) is wider; the rest share what is left.</summary>
    private static double[] Widths(int columns, double total)
    {
        const double first = 90;
        var rest = (total - first) / (columns - 1);
        return [first, .. Enumerable.Repeat(rest, columns - 1)];
    }

    /// <summary>PDFsharp resolves fonts through one process-wide resolver: it is set once, to the configured file.</summary>
    private static void UseFont(string fontFile)
    {
        lock (FontLock)
        {
            if (_fontFile == fontFile)
                return;
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(fontFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ReportFontException($"The PDF font {fontFile} cannot be read ({ex.Message}); install fonts-arphic-gbsn00lp or set Irrigation:Reports:FontFile.", ex);
            }

            if (bytes.Length < 12 || !(bytes[0] == 0 && bytes[1] == 1 && bytes[2] == 0 && bytes[3] == 0) && !(bytes[0] == 't' && bytes[1] == 'r' && bytes[2] == 'u' && bytes[3] == 'e'))
                throw new ReportFontException($"The PDF font {fontFile} is not a TrueType font (.ttf with TrueType outlines); PDFsharp reads neither collections (.ttc) nor CFF (.otf).");
            if (GlobalFontSettings.FontResolver is not null and not SingleFontResolver)
                throw new ReportFontException("Another PDF font resolver is installed in this process.");
            GlobalFontSettings.FontResolver = new SingleFontResolver(bytes);
            _fontFile = fontFile;
        }
    }

    /// <summary>Every face the reports ask for is the one font (bold is simulated).</summary>
    private sealed class SingleFontResolver(byte[] font) : IFontResolver
    {
        public byte[]? GetFont(string faceName) => font;

        public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) => new(Family, bold, italic);
    }

    /// <summary>Writes lines and table rows top to bottom, starting a new landscape A4 page when one is full.</summary>
    private sealed class PageWriter(PdfDocument document)
    {
        private XGraphics? _graphics;
        private double _y;
        private double _height;

        public double Width { get; private set; }

        private XGraphics Graphics => _graphics ?? NewPage();

        private XGraphics NewPage()
        {
            _graphics?.Dispose();
            var page = document.AddPage();
            page.Size = PageSize.A4;
            page.Orientation = PageOrientation.Landscape;
            _graphics = XGraphics.FromPdfPage(page);
            Width = page.Width.Point - 2 * Margin;
            _height = page.Height.Point;
            _y = Margin;
            return _graphics;
        }

        public void Space(double height) => _y += height;

        public void Line(string line, XFont font, double height, XStringFormat? format = null)
        {
            var g = Graphics;
            if (_y + height > _height - Margin)
                g = NewPage();
            g.DrawString(Printable(line), font, XBrushes.Black, new XRect(Margin, _y, Width, height), format ?? XStringFormats.TopLeft);
            _y += height;
        }

        private IReadOnlyList<string> _header = [];
        private IReadOnlyList<double> _widths = [];
        private XFont? _headerFont;
        private double _headerHeight;

        /// <summary>Starts a table: draws its header, and draws it again at the top of every page the table continues on.</summary>
        public void BeginTable(IReadOnlyList<string> header, IReadOnlyList<double> widths, XFont font, double height)
        {
            _header = header;
            _widths = widths;
            _headerFont = font;
            _headerHeight = height;
            if (_y + height + RowHeight > _height - Margin || _graphics is null)
                NewPage();
            Cells(header, font, height, shaded: true);
        }

        public void Row(IReadOnlyList<string> cells, XFont font, double height, bool shaded = false)
        {
            if (_graphics is null || _y + height > _height - Margin)
            {
                NewPage();
                Cells(_header, _headerFont!, _headerHeight, shaded: true);
            }

            Cells(cells, font, height, shaded);
        }

        private void Cells(IReadOnlyList<string> cells, XFont font, double height, bool shaded)
        {
            var g = Graphics;
            var x = Margin;
            for (var i = 0; i < cells.Count && i < _widths.Count; i++)
            {
                var box = new XRect(x, _y, _widths[i], height);
                if (shaded)
                    g.DrawRectangle(XBrushes.WhiteSmoke, box);
                g.DrawRectangle(XPens.Gray, box);
                var lines = cells[i].Split('\n');
                var lineHeight = height / lines.Length;
                for (var l = 0; l < lines.Length; l++)
                    g.DrawString(Printable(lines[l]), font, XBrushes.Black, new XRect(x + 2, _y + l * lineHeight, _widths[i] - 4, lineHeight), i == 0 ? XStringFormats.CenterLeft : XStringFormats.Center);
                x += _widths[i];
            }

            _y += height;
        }

        public void Finish()
        {
            _ = Graphics; // a report always has a page
            _graphics!.Dispose();
            _graphics = null;
        }
    }
}
