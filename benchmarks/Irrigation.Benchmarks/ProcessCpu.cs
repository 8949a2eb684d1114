using System.Globalization;

namespace Irrigation.Benchmarks;

/// <summary>CPU time a process has used so far, from Linux's <c>/proc/PID/stat</c> (user + system).</summary>
public static class ProcessCpu
{
    /// <summary>USER_HZ: /proc reports CPU time in these ticks; 100 on Linux for x86-64 and arm64.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>Seconds of CPU, or 0 when the process (or /proc) is not there.</summary>
    public static double Seconds(int pid)
    {
        var path = $"/proc/{pid}/stat";
        if (pid <= 0 || !File.Exists(path))
            return 0;
        var stat = File.ReadAllText(path);
        // Fields after "(comm)", which may itself hold spaces: state is field 3, utime 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }
}
