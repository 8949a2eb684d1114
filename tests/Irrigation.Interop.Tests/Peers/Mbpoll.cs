using System.Globalization;
using System.Text.RegularExpressions;

namespace Irrigation.Interop.Tests.Peers;

/// <summary>
/// Runs mbpoll (Debian package mbpoll, 1.4.11, reports "1.0-0") once against 127.0.0.1 and parses what it prints.
/// A read prints one line per value, "[ref]: \tvalue", with ref in the addressing chosen (-0: PDU addresses);
/// 16-bit values above 32767 are printed as "65534 (-2)", floats with C's %g (6 significant digits).
/// A write prints "Written N references.". A Modbus exception is reported on stderr, exit code 1.
/// </summary>
internal static partial class Mbpoll
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    /// <summary>mbpoll -m tcp -a 1 -p PORT -0 -1 -o 2 {options} 127.0.0.1 {write values}.</summary>
    public static Task<PeerCommandResult> RunAsync(int port, IEnumerable<string> options, params string[] writeValues)
    {
        var mbpoll = DebianPeers.RequireMbpoll();
        string[] common = ["-m", "tcp", "-a", "1", "-p", port.ToString(CultureInfo.InvariantCulture), "-0", "-1", "-o", "2"];
        return PeerCommand.RunAsync(mbpoll, [.. common, .. options, "127.0.0.1", .. writeValues], CommandTimeout);
    }

    /// <summary>The "[ref]: value" lines of a read, value as printed (first token only: "65534 (-2)" → "65534").</summary>
    public static IReadOnlyDictionary<int, string> ParseValues(string stdout) =>
        ValueLine().Matches(stdout).ToDictionary(
            m => int.Parse(m.Groups["ref"].Value, CultureInfo.InvariantCulture),
            m => m.Groups["value"].Value);

    [GeneratedRegex(@"^\[(?<ref>\d+)\]:\s+(?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex ValueLine();
}
