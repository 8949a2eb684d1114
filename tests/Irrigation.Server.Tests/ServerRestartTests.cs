using System.Text.Json.Nodes;
using Irrigation.Server.Tests.TestSupport;
using Irrigation.Testing;

namespace Irrigation.Server.Tests;

/// <summary>A restarted server shows every station's pumps and values at once, from InfluxDB, not after the next snapshot.</summary>
[Collection("Integration")]
public sealed class ServerRestartTests
{
    [Fact]
    public async Task Restart_LatestValuesReadBackFromInflux_PumpsAndMainsShownBeforeTheNextSnapshot()
    {
        var options = new SystemStackOptions
        {
            Stations = 1,
            // Snapshots only every 10 minutes: after the first, only changed quantities arrive.
            ConfigureGateway = config => config["publishing"] = new JsonObject { ["snapshotInterval"] = "00:10:00" },
        };
        await using var stack = await SystemStack.StartAsync("server-restart", options);
        // The gateway's first snapshot went out before the server subscribed: restart the gateway for one it sees.
        await stack.StopGatewayAsync();
        await stack.StartGatewayAsync();
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));

        await stack.StopServerAsync();
        await stack.StartServerAsync();
        using var client = await stack.SignInAsync("viewer");
        var station = await Poll.UntilAsync(
            async () => JsonNode.Parse(await client.GetStringAsync(new Uri("api/stations/st001", UriKind.Relative)))!,
            s => s["pumps"]!.AsArray().Count == 2 && s["mainsPresent"] is not null, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));

        Assert.Equal(2, station["pumps"]!.AsArray().Count);
        Assert.True(station["mainsPresent"]!.GetValue<bool>());
        Assert.Contains(station["values"]!.AsArray(), v => v!["key"]!.GetValue<string>() == "forward_energy");
        Assert.True(station["online"]!.GetValue<bool>());
    }
}
