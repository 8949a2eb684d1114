using System.Diagnostics;
using Irrigation.Testing;

namespace Irrigation.Server.Tests.Reports;

/// <summary>The text of a PDF as Debian's poppler-utils extracts it (<c>pdftotext -layout</c>): what a reader of the file sees.</summary>
internal static class PdfText
{
    public static async Task<string> ExtractAsync(byte[] pdf)
    {
        var tool = RequiredTool.Find("pdftotext", "poppler-utils");
        var file = Path.Combine(Path.GetTempPath(), $"report-{Guid.NewGuid():N}.pdf");
        await File.WriteAllBytesAsync(file, pdf);
        try
        {
            using var process = Process.Start(new ProcessStartInfo(tool, ["-layout", "-enc", "UTF-8", file, "-"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = await process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"pdftotext failed ({process.ExitCode}): {error}");
            return text;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Keeps a report file under .test-run/reports/ for a reader of the test run (like the browser screenshots).</summary>
    public static void Keep(string name, byte[] bytes)
    {
        var directory = Path.Combine(RepoPaths.Root, ".test-run", "reports");
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, name), bytes);
    }

    /// <summary>The fonts the PDF embeds (<c>pdffonts</c>), one line each.</summary>
    public static async Task<string> FontsAsync(byte[] pdf)
    {
        var tool = RequiredTool.Find("pdffonts", "poppler-utils");
        var file = Path.Combine(Path.GetTempPath(), $"report-{Guid.NewGuid():N}.pdf");
        await File.WriteAllBytesAsync(file, pdf);
        try
        {
            using var process = Process.Start(new ProcessStartInfo(tool, [file]) { RedirectStandardOutput = true })!;
            var text = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return text;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
