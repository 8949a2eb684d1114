namespace Irrigation.Testing;

/// <summary>Finds the real peers a test needs; a missing one fails the test with the package to install — never a skip.</summary>
public static class RequiredTool
{
    public static string Find(string name, string debianPackage)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/usr/bin", "/sbin"]))
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
                return path;
        }

        throw new InvalidOperationException($"'{name}' is required for this test and was not found. Install it with: apt-get install -y {debianPackage} (./test.sh does this).");
    }
}
