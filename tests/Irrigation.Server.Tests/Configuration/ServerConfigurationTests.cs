namespace Irrigation.Server.Tests;

/// <summary>
/// A bad setting stops the real server before it starts anything: exit code 2 and one line naming the key, whichever
/// feature's section it is in (each feature binds and validates its own).
/// </summary>
public sealed class ServerConfigurationTests
{
    private static async Task<(int ExitCode, string Output)> RunAsync(params (string Key, string Value)[] settings)
    {
        using var directory = new ScratchDirectory("config");
        var environment = settings.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
        environment["Irrigation__DataDirectory"] = directory.Path;
        environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        await using var process = ManagedProcess.Start("irrigation-server", RepoPaths.Server, [], environment: environment, workingDirectory: directory.Path);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, process.Output);
    }

    [Theory]
    [InlineData("Irrigation__Mqtt__Port", "0", "Irrigation:Mqtt:Port 0 is outside 1..65535")]
    [InlineData("Irrigation__Mqtt__Protocol", "4", "Irrigation:Mqtt:Protocol must be \"5\" or \"3.1.1\"")]
    [InlineData("Irrigation__Mqtt__Brokers__0", "127.0.0.1", "Irrigation:Mqtt:Brokers:0 \"127.0.0.1\" is not host:port.")]
    [InlineData("Irrigation__Mqtt__Brokers__0", "127.0.0.1:70000", "Irrigation:Mqtt:Brokers:0 \"127.0.0.1:70000\": the port must be 1..65535.")]
    [InlineData("Irrigation__Influx__Url", "not a url", "Irrigation:Influx:Url 'not a url' is not an absolute URL")]
    [InlineData("Irrigation__Ingest__BatchPoints", "0", "Irrigation:Ingest:BatchPoints must be 1..100000")]
    [InlineData("Irrigation__Commands__Lifetime", "00:00:01", "Irrigation:Commands:Lifetime must be 2 s..10 min")]
    [InlineData("Irrigation__Alarms__Rules__over_heating__Threshold", "90", "unknown rule 'over_heating'")]
    [InlineData("Irrigation__Alarms__Rules__over_current__Severity", "urgent", "Irrigation:Alarms:Rules:over_current:Severity")]
    [InlineData("Irrigation__Accounting__ResetRatio", "2", "Irrigation:Accounting:ResetRatio")]
    [InlineData("Irrigation__Api__StaleAfter", "00:00:01", "Irrigation:Api:StaleAfter must be at least 5 s")]
    [InlineData("Irrigation__Api__SettingsRefreshInterval", "00:00:00.100", "Irrigation:Api:SettingsRefreshInterval must be 200 ms..10 min")]
    [InlineData("Irrigation__Auth__MinPasswordLength", "4", "Irrigation:Auth:MinPasswordLength must be at least 8")]
    [InlineData("Irrigation__TopicRoot", "a/b", "Irrigation:TopicRoot 'a/b' must be a single topic level")]
    [InlineData("Irrigation__StationFiles__0", "/no/such/gateway.json", "Irrigation:StationFiles: '/no/such/gateway.json' does not exist")]
    [InlineData("Irrigation__Mqtt__Prot", "5", "Irrigation:Mqtt: unknown key")]
    [InlineData("Irrigation__Mqtt__TlsCaFile", "/no/such/ca.pem", "Irrigation:Mqtt:TlsCaFile '/no/such/ca.pem' cannot be read:")]
    [InlineData("Irrigation__Mqtt__TlsCaFile", "/etc/passwd", "Irrigation:Mqtt:TlsCaFile '/etc/passwd' holds no PEM certificate.")]
    [InlineData("Irrigation__Mqtt__Port", "many", "Irrigation:Mqtt:Port")]
    [InlineData("Irrigation__Typo", "1", "unknown key(s) Irrigation:Typo")]
    public async Task BadSetting_ExitCode2_NamingTheKey(string key, string value, string expected)
    {
        var (exitCode, output) = await RunAsync((key, value));

        Assert.True(exitCode == 2, $"exit code {exitCode}; output:\n{output}");
        Assert.Contains("irrigation-server: invalid configuration:", output, StringComparison.Ordinal);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandKeys_TwoUnderOneId_ExitCode2_NamingTheKey()
    {
        var secret = Convert.ToBase64String(new byte[32]);
        var (exitCode, output) = await RunAsync(
            ("Irrigation__Commands__GatewayKeys__gw-01__0__Id", "k1"), ("Irrigation__Commands__GatewayKeys__gw-01__0__Secret", secret),
            ("Irrigation__Commands__GatewayKeys__gw-01__1__Id", "k1"), ("Irrigation__Commands__GatewayKeys__gw-01__1__Secret", secret));

        Assert.True(exitCode == 2, $"exit code {exitCode}; output:\n{output}");
        Assert.Contains("Irrigation:Commands:GatewayKeys:gw-01:0:Id must be 1..64 characters and unique", output, StringComparison.Ordinal);
    }
}
