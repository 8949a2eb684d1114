namespace Irrigation.Testing;

/// <summary>Where the repository and its built programs are, seen from a test assembly.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release, whichever the tests were built as.</summary>
    public static string Configuration { get; } = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string FirmwareSim => Program("firmware-sim/Irrigation.FirmwareSim", "firmware-sim.dll");

    /// <summary>The benchmarks program: probes and the MQTT load generator (`mqtt-load`).</summary>
    public static string Benchmarks => Program("benchmarks/Irrigation.Benchmarks", "Irrigation.Benchmarks.dll");

    public static string Gateway => Program("src/Irrigation.Gateway", "irrigation-gateway.dll");

    public static string Server => Program("src/Irrigation.Server", "irrigation-server.dll");

    public static string Profiles => Path.Combine(Root, "profiles");

    /// <summary>The built dll of a program; fails clearly if it has not been built (./test.sh builds the solution first).</summary>
    public static string Program(string projectDirectory, string dll)
    {
        var path = Path.Combine(Root, projectDirectory, "bin", Configuration, "net10.0", dll);
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} is not built; run 'dotnet build Irrigation.sln -c {Configuration}' (./test.sh does).");
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Irrigation.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"Irrigation.sln not found above {AppContext.BaseDirectory}.");
    }
}
