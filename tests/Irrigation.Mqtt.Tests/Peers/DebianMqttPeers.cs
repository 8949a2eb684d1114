using System.Reflection;

namespace Irrigation.Mqtt.Tests.Peers;

/// <summary>
/// Finds the third-party MQTT peers. A missing peer fails the test (never skips it) naming the Debian package
/// that provides it.
/// </summary>
internal static class DebianMqttPeers
{
    public const string Mosquitto = "/usr/sbin/mosquitto";
    public const string MosquittoPub = "/usr/bin/mosquitto_pub";
    public const string MosquittoSub = "/usr/bin/mosquitto_sub";
    public const string MosquittoPasswd = "/usr/bin/mosquitto_passwd";

    /// <summary>Debian's interpreter: a <c>python3</c> on PATH may be a separate build that cannot import Debian packages.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<Task<string?>> PahoProblem = new(ProbePahoAsync);

    public static string Require(string path)
    {
        if (File.Exists(path))
            return path;
        var package = path == MosquittoPub || path == MosquittoSub ? "mosquitto-clients" : "mosquitto";
        throw new InvalidOperationException($"MQTT peer missing: {path} does not exist. Install it with `apt-get install -y {package}` (Debian package {package}, mosquitto 2.0).");
    }

    /// <summary>Throws unless /usr/bin/python3 can import paho.mqtt.client (Debian package python3-paho-mqtt).</summary>
    public static async Task RequirePahoAsync()
    {
        var problem = await PahoProblem.Value;
        if (problem is not null)
            throw new InvalidOperationException($"paho-mqtt peer missing: {problem}. Install it with `apt-get install -y python3-paho-mqtt` (Debian package python3-paho-mqtt, 1.6).");
    }

    public static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "peers", name);

    /// <summary>The TestPeer console app, built next to this project (see the csproj's ReferenceOutputAssembly=false reference).</summary>
    public static string TestPeerDll()
    {
        var path = typeof(DebianMqttPeers).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TestPeerPath").Value!;
        return File.Exists(path) ? Path.GetFullPath(path) : throw new InvalidOperationException($"The test peer was not built: {path} does not exist. Build Irrigation.sln (tests/Irrigation.Mqtt.TestPeer).");
    }

    private static async Task<string?> ProbePahoAsync()
    {
        if (!File.Exists(Python))
            return $"{Python} does not exist";
        await using var probe = ManagedProcess.Start(Python, ["-c", "import paho.mqtt.client, paho.mqtt; print(paho.mqtt.__version__)"]);
        var exitCode = await probe.WaitForExitAsync(TimeSpan.FromSeconds(15));
        return exitCode == 0 ? null : $"{Python} cannot import paho.mqtt.client ({probe.StandardError.Trim()})";
    }
}
