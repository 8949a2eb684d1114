using System.Diagnostics;

namespace Irrigation.Testing;

/// <summary>Best-effort removal of a test's temp directory.</summary>
internal static class TempDirectory
{
    public static bool TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A file still held open by a dying process: the OS cleans the temp directory later.
            Trace.WriteLine($"could not delete {path}: {ex.Message}");
            return false;
        }
    }
}
