using System.Net;
using System.Net.Sockets;
using Irrigation.Dlt645.Client;
using Irrigation.Dlt645.Diagnostics;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Server;
using Irrigation.Dlt645.Tests.TestSupport;
using Irrigation.Dlt645.Values;
using Irrigation.Links;

namespace Irrigation.Dlt645.Tests;

/// <summary>
/// Our client against our meter server over real loopback TCP (port 0), with every byte that crossed the wire
/// recorded on the client's side and compared with frames computed by hand.
/// </summary>
public sealed class Dlt645InteropTests
{
    private static readonly Dlt645Address MeterAddress = Dlt645Address.Parse("123456789012");

    /// <summary>A meter server on loopback port 0 holding typical values, and clients whose wire is recorded.</summary>
    private sealed class MeterOnLoopback : IAsyncDisposable
    {
        private MeterOnLoopback(Dlt645MeterServer server) => Server = server;

        public Dlt645MeterServer Server { get; }

        public RecordingStream? Wire { get; private set; }

        public static MeterOnLoopback Start()
        {
            var meter = new Dlt645MeterDataStore(MeterAddress);
            meter.Set(Dlt645Quantities.VoltageA, 230.1m);
            meter.Set(Dlt645Quantities.Voltages, 230.1m, 229.8m, 231.0m);
            meter.Set(Dlt645Quantities.Currents, 12.345m, 12.1m, -0.5m);
            meter.Set(Dlt645Quantities.ActivePower, -1.2345m);
            meter.Set(Dlt645Quantities.PowerFactorTotal, 0.866m);
            meter.Set(Dlt645Quantities.GridFrequency, 50.01m);
            meter.Set(Dlt645Quantities.CombinedActiveEnergy, 317.76m);
            meter.Set(Dlt645Quantities.ForwardActiveEnergy, 123456.78m);
            var server = new Dlt645MeterServer(new IPEndPoint(IPAddress.Loopback, 0), meter);
            server.Start();
            return new MeterOnLoopback(server);
        }

        public Dlt645Client NewClient() => new(new DelegateStreamConnector("recorded loopback", async token =>
        {
            var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(IPAddress.Loopback, Server.LocalEndPoint.Port, token);
            Wire = new RecordingStream(tcp.GetStream());
            return Wire;
        }), new Dlt645ClientOptions { RequestTimeout = TimeSpan.FromSeconds(2), Retries = 0 });

        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }

    [Fact]
    public async Task ReadValueAsync_VoltageA_ExactBytesBothWays()
    {
        await using var meter = MeterOnLoopback.Start();
        await using var client = meter.NewClient();

        Assert.Equal(230.1m, await client.ReadValueAsync(MeterAddress, Dlt645Quantities.VoltageA));

        Assert.Equal("FE FE FE FE 68 12 90 78 56 34 12 68 11 04 33 34 34 35 6B 16", Hex.Format(meter.Wire!.WrittenBytes));
        Assert.Equal("FE FE FE FE 68 12 90 78 56 34 12 68 91 06 33 34 34 35 34 56 77 16", Hex.Format(meter.Wire.ReadBytes));
    }

    [Fact]
    public async Task ReadValueAsync_NegativePower_ExactBytesBothWays()
    {
        await using var meter = MeterOnLoopback.Start();
        await using var client = meter.NewClient();

        Assert.Equal(-1.2345m, await client.ReadValueAsync(MeterAddress, Dlt645Quantities.ActivePower));

        Assert.Equal("FE FE FE FE 68 12 90 78 56 34 12 68 11 04 33 33 36 35 6C 16", Hex.Format(meter.Wire!.WrittenBytes));
        Assert.Equal("FE FE FE FE 68 12 90 78 56 34 12 68 91 07 33 33 36 35 78 56 B4 71 16", Hex.Format(meter.Wire.ReadBytes));
    }

    [Fact]
    public async Task ReadAddressAsync_Commissioning_ExactBytesBothWays()
    {
        await using var meter = MeterOnLoopback.Start();
        await using var client = meter.NewClient();

        Assert.Equal(MeterAddress, await client.ReadAddressAsync());

        Assert.Equal("FE FE FE FE 68 AA AA AA AA AA AA 68 13 00 DF 16", Hex.Format(meter.Wire!.WrittenBytes));
        Assert.Equal("FE FE FE FE 68 12 90 78 56 34 12 68 93 06 45 C3 AB 89 67 45 07 16", Hex.Format(meter.Wire.ReadBytes));
    }

    [Fact]
    public async Task ReadAsync_IdentifierTheMeterLacks_AbnormalReplyExactBytes()
    {
        await using var meter = MeterOnLoopback.Start();
        await using var client = meter.NewClient();

        var ex = await Assert.ThrowsAsync<Dlt645AbnormalReplyException>(() => client.ReadAsync(MeterAddress, Dlt645DataIdentifier.Parse("04000401")));

        Assert.Equal(Messages.Dlt645ErrorFlags.NoRequestedData, ex.Error);
        Assert.Equal("FE FE FE FE 68 12 90 78 56 34 12 68 11 04 34 37 33 37 70 16", Hex.Format(meter.Wire!.WrittenBytes));
        Assert.Equal("FE FE FE FE 68 12 90 78 56 34 12 68 D1 01 35 8D 16", Hex.Format(meter.Wire.ReadBytes));
        Assert.Equal(1, meter.Server.Counters[Dlt645ErrorKind.AbnormalReply]);
    }

    [Fact]
    public async Task ReadValuesAsync_EveryKnownQuantity_ReadsWhatTheMeterHolds()
    {
        await using var meter = MeterOnLoopback.Start();
        await using var client = meter.NewClient();

        Assert.Equal([230.1m, 229.8m, 231.0m], await client.ReadValuesAsync(MeterAddress, Dlt645Quantities.Voltages));
        Assert.Equal([12.345m, 12.1m, -0.5m], await client.ReadValuesAsync(MeterAddress, Dlt645Quantities.Currents));
        Assert.Equal(0.866m, await client.ReadValueAsync(MeterAddress, Dlt645Quantities.PowerFactorTotal));
        Assert.Equal(50.01m, await client.ReadValueAsync(MeterAddress, Dlt645Quantities.GridFrequency));
        Assert.Equal(317.76m, await client.ReadValueAsync(MeterAddress, Dlt645Quantities.CombinedActiveEnergy));
        Assert.Equal(123456.78m, await client.ReadValueAsync(MeterAddress, Dlt645Quantities.ForwardActiveEnergy));
        Assert.Equal(0, client.Counters.TotalErrors);
    }

    [Fact]
    public async Task ReadAsync_AbbreviatedAddress_TheMeterAnswersWithItsFullAddress()
    {
        await using var meter = MeterOnLoopback.Start();
        await using var client = meter.NewClient();

        var result = await client.ReadAsync(Dlt645Address.Parse("AAAAAAAA9012"), Dlt645Quantities.VoltageA.Identifier);

        Assert.Equal(MeterAddress, result.Address);
        Assert.Equal("01 23", Hex.Format(result.Data));
    }

    [Fact]
    public async Task ReadAsync_AnotherMetersAddress_IsNotAnsweredAndTimesOut()
    {
        await using var meter = MeterOnLoopback.Start();
        await using var client = meter.NewClient();

        await Assert.ThrowsAsync<Dlt645TimeoutException>(() => client.ReadAsync(Dlt645Address.Parse("123456789013"), Dlt645Quantities.VoltageA.Identifier));
    }

    [Fact]
    public async Task Server_GarbageBadChecksumAndCutOffFrames_AreCountedAndTheNextCommandStillAnswered()
    {
        await using var meter = MeterOnLoopback.Start();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, meter.Server.LocalEndPoint.Port);
        var stream = tcp.GetStream();

        // Garbage, a read with a wrong CS (6C instead of 6B), a frame without its second 68H, then a good read.
        await stream.WriteAsync(Hex.Parse(
            "00 11 22 " +
            "68 12 90 78 56 34 12 68 11 04 33 34 34 35 6C 16 " +
            "68 12 90 78 56 34 12 00 11 04 33 34 34 35 6B 16 " +
            "FE FE FE FE 68 12 90 78 56 34 12 68 11 04 33 34 34 35 6B 16"));
        var expected = Hex.Parse("FE FE FE FE 68 12 90 78 56 34 12 68 91 06 33 34 34 35 34 56 77 16");
        var reply = new byte[expected.Length];
        await stream.ReadExactlyAsync(reply);

        Assert.Equal(Hex.Format(expected), Hex.Format(reply));
        Assert.Equal(1, meter.Server.Counters[Dlt645ErrorKind.ChecksumMismatch]);
        Assert.True(meter.Server.Counters[Dlt645ErrorKind.Garbage] >= 1);
        Assert.True(meter.Server.Counters[Dlt645ErrorKind.MalformedFrame] >= 1);
        // The server counts a reply once its write returned, which can be just after the test has read it.
        await Irrigation.Testing.Waiting.Poll.UntilAsync(() => meter.Server.Counters.Replies >= 1, "the server counted its reply", TimeSpan.FromSeconds(5));
        Assert.Equal(1, meter.Server.Counters.Replies);
    }

    [Fact]
    public async Task ReadAsync_ValueLongerThanOneFrame_ComesInFollowUpFrames()
    {
        await using var server = new Dlt645MeterServer(new IPEndPoint(IPAddress.Loopback, 0), SmallFrameMeter());
        server.Start();
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", server.LocalEndPoint.Port);

        var result = await client.ReadAsync(MeterAddress, Dlt645DataIdentifier.Parse("04800001"));

        Assert.Equal(3, result.Frames);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), result.Data);
    }

    private static Dlt645MeterDataStore SmallFrameMeter()
    {
        var meter = new Dlt645MeterDataStore(MeterAddress, maxValueBytesPerFrame: 4);
        meter.SetRaw(Dlt645DataIdentifier.Parse("04800001"), Enumerable.Range(0, 10).Select(i => (byte)i).ToArray());
        return meter;
    }
}
