using Irrigation.Dlt645.Client;
using Irrigation.Dlt645.Diagnostics;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Messages;
using Irrigation.Dlt645.Tests.TestSupport;
using Irrigation.Dlt645.Values;

namespace Irrigation.Dlt645.Tests;

/// <summary>
/// The client against a scripted meter on real loopback TCP. Frames were computed by hand (CS = sum mod 256) and
/// written out as hex, so these tests do not check the encoder against itself.
/// </summary>
public sealed class Dlt645ClientTests
{
    private static readonly Dlt645Address Meter = Dlt645Address.Parse("123456789012");

    private const string ReadVoltageA = "FE FE FE FE 68 12 90 78 56 34 12 68 11 04 33 34 34 35 6B 16";
    private const string VoltageA230Point1 = "FE FE FE FE 68 12 90 78 56 34 12 68 91 06 33 34 34 35 34 56 77 16";

    private static Dlt645ClientOptions Fast => new() { RequestTimeout = TimeSpan.FromMilliseconds(300), Retries = 1 };

    [Fact]
    public async Task ReadValueAsync_PlainReply_ReturnsTheVoltage()
    {
        await using var peer = new ScriptedMeterPeer(new() { [ReadVoltageA] = VoltageA230Point1 });
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", peer.Port, Fast);

        Assert.Equal(230.1m, await client.ReadValueAsync(Meter, Dlt645Quantities.VoltageA));
        Assert.Equal((1, 1, 0L), (client.Counters.Requests, client.Counters.Replies, client.Counters.TotalErrors));
    }

    [Fact]
    public async Task ReadValueAsync_GarbageAndABadChecksumBeforeTheReply_AreCountedAndSkipped()
    {
        var badChecksum = VoltageA230Point1.Replace("77 16", "76 16", StringComparison.Ordinal);
        await using var peer = new ScriptedMeterPeer(new() { [ReadVoltageA] = "00 11 22 " + badChecksum + " " + VoltageA230Point1 });
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", peer.Port, Fast);

        Assert.Equal(230.1m, await client.ReadValueAsync(Meter, Dlt645Quantities.VoltageA));
        Assert.Equal(1, client.Counters[Dlt645ErrorKind.Garbage]);
        Assert.Equal(1, client.Counters[Dlt645ErrorKind.ChecksumMismatch]);
    }

    [Fact]
    public async Task ReadValueAsync_DtuHeartbeatsAroundAndBeforeTheReply_SkippedNotCountedAsGarbage()
    {
        // "HB\r\n" = 48 42 0D 0A, twice before the reply and once after it (read with the next request's window).
        await using var peer = new ScriptedMeterPeer(new() { [ReadVoltageA] = "48 42 0D 0A 48 42 0D 0A " + VoltageA230Point1 + " 48 42 0D 0A" });
        var options = Fast;
        options.Heartbeat = "HB\r\n"u8.ToArray();
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", peer.Port, options);

        Assert.Equal(230.1m, await client.ReadValueAsync(Meter, Dlt645Quantities.VoltageA));
        Assert.Equal(230.1m, await client.ReadValueAsync(Meter, Dlt645Quantities.VoltageA));
        Assert.Equal(0L, client.Counters.TotalErrors);
    }

    [Fact]
    public async Task ReadValueAsync_HeartbeatWithoutTheOption_IsGarbageCountedButTheReplyIsRead()
    {
        await using var peer = new ScriptedMeterPeer(new() { [ReadVoltageA] = "48 42 0D 0A " + VoltageA230Point1 });
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", peer.Port, Fast);

        Assert.Equal(230.1m, await client.ReadValueAsync(Meter, Dlt645Quantities.VoltageA));
        Assert.Equal(1, client.Counters[Dlt645ErrorKind.Garbage]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("68")]
    public void Options_HeartbeatEmptyOrHolding68H_Refused(string hex)
    {
        var options = new Dlt645ClientOptions { Heartbeat = Convert.FromHexString(hex) };

        Assert.Throws<ArgumentException>(options.Validate);
    }

    [Fact]
    public async Task ReadValueAsync_EchoAndAnotherMetersReply_AreNotTakenForTheReply()
    {
        const string otherMeter = "FE FE FE FE 68 13 90 78 56 34 12 68 91 06 33 34 34 35 3C 56 80 16";
        await using var peer = new ScriptedMeterPeer(new() { [ReadVoltageA] = ReadVoltageA + " " + otherMeter + " " + VoltageA230Point1 });
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", peer.Port, Fast);

        Assert.Equal(230.1m, await client.ReadValueAsync(Meter, Dlt645Quantities.VoltageA));
        Assert.Equal(1, client.Counters[Dlt645ErrorKind.UnexpectedReply]);
    }

    [Fact]
    public async Task ReadValueAsync_FrameCutOffThenQuiet_DropsTheStalePartAndReadsTheNextFrame()
    {
        await using var peer = new ScriptedMeterPeer(new() { [ReadVoltageA] = "FE FE FE FE 68 12 90 78 56 34 12 68 91 06 33 | " + VoltageA230Point1 });
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", peer.Port, new() { RequestTimeout = TimeSpan.FromSeconds(5), Retries = 0 });

        Assert.Equal(230.1m, await client.ReadValueAsync(Meter, Dlt645Quantities.VoltageA));
        Assert.Equal(1, client.Counters[Dlt645ErrorKind.StalePartialFrame]);
        Assert.Equal(0, client.Counters[Dlt645ErrorKind.MalformedFrame]);
    }

    [Fact]
    public async Task ReadAsync_AbnormalReply_ThrowsWithTheErrorByteAndIsNotRetried()
    {
        const string readUnknown = "FE FE FE FE 68 12 90 78 56 34 12 68 11 04 34 37 33 37 70 16";
        await using var peer = new ScriptedMeterPeer(new() { [readUnknown] = "FE FE FE FE 68 12 90 78 56 34 12 68 D1 01 35 8D 16" });
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", peer.Port, Fast);

        var ex = await Assert.ThrowsAsync<Dlt645AbnormalReplyException>(() => client.ReadAsync(Meter, Dlt645DataIdentifier.Parse("04000401")));
        Assert.Equal(Dlt645ErrorFlags.NoRequestedData, ex.Error);
        Assert.Equal(Dlt645Function.ReadData, ex.Function);
        Assert.Equal(1, client.Counters[Dlt645ErrorKind.AbnormalReply]);
        Assert.Equal(1, client.Counters.Requests);
    }

    [Fact]
    public async Task ReadValuesAsync_MeterSaysMoreFollow_FetchesTheFollowUpFrame()
    {
        await using var peer = new ScriptedMeterPeer(new()
        {
            ["FE FE FE FE 68 12 90 78 56 34 12 68 11 04 33 32 34 35 69 16"] = "FE FE FE FE 68 12 90 78 56 34 12 68 B1 08 33 32 34 35 34 56 35 56 22 16",
            ["FE FE FE FE 68 12 90 78 56 34 12 68 12 05 33 32 34 35 34 9F 16"] = "FE FE FE FE 68 12 90 78 56 34 12 68 92 07 33 32 34 35 36 56 34 AD 16",
        });
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", peer.Port, Fast);

        var result = await client.ReadAsync(Meter, Dlt645Quantities.Voltages.Identifier);
        Assert.Equal(2, result.Frames);
        Assert.Equal("01 23 02 23 03 23", Hex.Format(result.Data));
        Assert.Equal([230.1m, 230.2m, 230.3m], await client.ReadValuesAsync(Meter, Dlt645Quantities.Voltages));
    }

    [Fact]
    public async Task ReadAsync_NoReply_TimesOutOnEveryAttemptAndCountsThem()
    {
        await using var peer = new ScriptedMeterPeer([]);
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", peer.Port, Fast);

        await Assert.ThrowsAsync<Dlt645TimeoutException>(() => client.ReadAsync(Meter, Dlt645Quantities.VoltageA.Identifier));
        Assert.Equal(2, client.Counters[Dlt645ErrorKind.Timeout]);
        Assert.Equal(2, client.Counters.Requests);
    }

    [Fact]
    public async Task ReadAsync_CallerCancels_EndsWithOperationCanceled()
    {
        await using var peer = new ScriptedMeterPeer([]);
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", peer.Port, new() { RequestTimeout = TimeSpan.FromSeconds(30) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ReadAsync(Meter, Dlt645Quantities.VoltageA.Identifier, cancel.Token));
    }

    [Fact]
    public async Task ReadAsync_NothingListening_IsAConnectionFailure()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var client = Dlt645Client.CreateTcp("127.0.0.1", port, Fast);
        await Assert.ThrowsAsync<Dlt645ConnectionException>(() => client.ReadAsync(Meter, Dlt645Quantities.VoltageA.Identifier));
        Assert.Equal(2, client.Counters[Dlt645ErrorKind.ConnectionFailure]);
    }

    [Fact]
    public async Task ReadAsync_BroadcastAddress_IsRefusedBeforeTheWire()
    {
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", 1, Fast);
        await Assert.ThrowsAsync<ArgumentException>(() => client.ReadAsync(Dlt645Address.Broadcast, Dlt645Quantities.VoltageA.Identifier));
        Assert.Equal(0, client.Counters.Requests);
    }
}
