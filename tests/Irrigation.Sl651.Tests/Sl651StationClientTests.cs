using Irrigation.Links;
using Irrigation.Sl651.Client;
using Irrigation.Sl651.Diagnostics;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;
using Irrigation.Sl651.Platform;
using Irrigation.Sl651.Values;

namespace Irrigation.Sl651.Tests;

/// <summary>Our station client against the reference platform on loopback: real sockets, the platform's own decoder.</summary>
public sealed class Sl651StationClientTests
{
    private static readonly Sl651Header Header = new(1, Sl651StationAddress.Parse("0033000001"), 0x1234);

    private static Sl651StationClient Client(ReferencePlatform platform, ISl651CommandHandler? handler = null, TimeSpan? ackTimeout = null) =>
        new(new TcpStreamConnector("127.0.0.1", platform.Port), new Sl651StationClientOptions { Header = Header, AckTimeout = ackTimeout ?? TimeSpan.FromSeconds(5) }, handler);

    private static Sl651ObservationReport Report(ushort serial, decimal flow) => new(
        Sl651FunctionCode.Timed, serial, new DateTime(2026, 12, 4, 21, 0, 3), Header.Station, Sl651ObservationReport.PumpStationCategory, new DateTime(2026, 12, 4, 21, 0, 0),
        [Sl651Element.Number(Sl651Elements.Flow, flow), Sl651Element.Number(Sl651Elements.UnitsRunning, 2), Sl651Element.Status(Sl651StatusBits.DoorClosed)]);

    [Fact]
    public async Task SendAsync_PlatformAnswers_ReturnsItsAcknowledgementAndThePlatformHasTheValues()
    {
        await using var platform = new ReferencePlatform();
        await using var client = Client(platform);

        var ack = await client.SendAsync(Report(7, 0.125m), CancellationToken.None);

        Assert.Equal((Sl651FunctionCode.Timed, (ushort)7), (ack.Acknowledged, ack.Serial));
        var received = Assert.Single(platform.Reports);
        Assert.Equal("0033000001", received.Station);
        Assert.Equal(0x44, received.Category);
        Assert.Equal(0.125m, received.Value("Q"));
        Assert.Equal(2m, received.Value("NS"));
        Assert.Equal("00000080", received.Elements.Single(e => e.Code == "ZT").Hex);
        Assert.Equal(1, client.Counters.Acknowledged);
    }

    [Fact]
    public async Task SendAsync_PlatformSilent_ResendsTwiceThenGivesUp()
    {
        await using var platform = new ReferencePlatform { Answering = false };
        await using var client = Client(platform, ackTimeout: TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAsync<Sl651DeliveryException>(() => client.SendAsync(Report(8, 1m), CancellationToken.None));

        Assert.Equal(3, client.Counters[Sl651ErrorKind.AckTimeout]);
        Assert.Equal(3, client.Counters.Sent);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task SendAsync_AfterAnOutage_ReconnectsAndDelivers()
    {
        await using var platform = new ReferencePlatform();
        await using var client = Client(platform, ackTimeout: TimeSpan.FromMilliseconds(500));
        await client.SendAsync(Report(1, 1m), CancellationToken.None);

        platform.BeginOutage();
        await Assert.ThrowsAsync<Sl651DeliveryException>(() => client.SendAsync(Report(2, 2m), CancellationToken.None));
        platform.EndOutage();
        await client.SendAsync(Report(2, 2m), CancellationToken.None);

        Assert.Equal([1, 2], platform.Reports.Select(r => r.Serial!.Value));
    }

    [Fact]
    public async Task KeepAlive_IsNotAnswered()
    {
        await using var platform = new ReferencePlatform();
        await using var client = Client(platform);
        await client.SendUnacknowledgedAsync(new Sl651KeepAlive(5, DateTime.Now), CancellationToken.None);
        await Poll.UntilAsync(() => platform.Received.Count == 1, "the keep-alive at the platform", TimeSpan.FromSeconds(5));
        Assert.Equal(0x2F, platform.Received[0].Function);
        Assert.Empty(platform.Reports);
    }

    [Fact]
    public async Task PumpSwitchCommand_ReachesTheHandlerAndItsReplyReachesThePlatform()
    {
        await using var platform = new ReferencePlatform();
        var handler = new SwitchingStation();
        await using var client = Client(platform, handler);
        await client.SendUnacknowledgedAsync(new Sl651KeepAlive(1, DateTime.Now), CancellationToken.None);
        await Poll.UntilAsync(() => platform.Received.Count == 1, "the keep-alive at the platform", TimeSpan.FromSeconds(5));

        var reply = await platform.SendPumpSwitchAsync("0033000001", 0x1234, [0x02], TimeSpan.FromSeconds(5), cancellationToken: CancellationToken.None);

        Assert.NotNull(reply);
        Assert.Equal(0x4C, reply.Function);
        Assert.Equal("02", Convert.ToHexString(reply.PumpBits!));
        var command = Assert.IsType<Sl651PumpSwitchCommand>(handler.Received);
        Assert.True(command.Pumps.IsOn(2));
        Assert.False(command.Pumps.IsOn(1));
    }

    [Fact]
    public async Task SendAsync_GarbageAndABadCrcAckBeforeTheGoodOne_CountsThemAndTakesTheGoodOne()
    {
        // A scripted centre: reads our frame, answers with line noise, the right acknowledgement with its CRC damaged,
        // then the right acknowledgement.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var peer = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var buffer = new byte[512];
            var n = await socket.ReceiveAsync(buffer);
            Assert.Equal(PlatformDecoder.Outcome.Frame, PlatformDecoder.Read(buffer.AsSpan(0, n), out var frame, out _, out _));
            var ack = PlatformDecoder.Down(frame!.Station, 1, 0x1234, 0x32, PlatformDecoder.SerialAndTime(frame.Serial!.Value, DateTime.Now), 0x04);
            var damaged = (byte[])ack.Clone();
            damaged[^1] ^= 0xFF;
            await socket.SendAsync(Hex.Parse("41 54 2B 0D 0A"));
            await socket.SendAsync(damaged);
            await socket.SendAsync(ack);
            await socket.ReceiveAsync(buffer); // until the client closes
        });
        await using (var client = new Sl651StationClient(new TcpStreamConnector("127.0.0.1", port), new Sl651StationClientOptions { Header = Header, AckTimeout = TimeSpan.FromSeconds(5) }))
        {
            var ack = await client.SendAsync(Report(9, 1m), CancellationToken.None);
            Assert.Equal(9, ack.Serial);
            Assert.Equal(1, client.Counters[Sl651ErrorKind.CrcMismatch]);
            Assert.Equal(1, client.Counters[Sl651ErrorKind.Garbage]);
            Assert.Equal(0, client.Counters[Sl651ErrorKind.AckTimeout]);
        }

        await peer.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task SendAsync_CentreAnswersNak_ResendsAndTakesTheLaterAcknowledgement()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var received = 0;
        var peer = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var buffer = new byte[512];
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var n = await socket.ReceiveAsync(buffer);
                Assert.Equal(PlatformDecoder.Outcome.Frame, PlatformDecoder.Read(buffer.AsSpan(0, n), out var frame, out _, out _));
                received++;
                var end = attempt == 0 ? (byte)0x15 : (byte)0x04; // NAK first, then EOT
                await socket.SendAsync(PlatformDecoder.Down(frame!.Station, 1, 0x1234, 0x32, PlatformDecoder.SerialAndTime(frame.Serial!.Value, DateTime.Now), end));
            }

            await socket.ReceiveAsync(buffer);
        });
        await using (var client = new Sl651StationClient(new TcpStreamConnector("127.0.0.1", port), new Sl651StationClientOptions { Header = Header, AckTimeout = TimeSpan.FromMilliseconds(500) }))
        {
            var ack = await client.SendAsync(Report(11, 1m), CancellationToken.None);
            Assert.Equal(11, ack.Serial);
            Assert.Equal(2, received);
            Assert.Equal(1, client.Counters[Sl651ErrorKind.AckTimeout]);
        }

        await peer.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private sealed class SwitchingStation : ISl651CommandHandler
    {
        public Sl651Message? Received { get; private set; }

        public Task<Sl651Message?> HandleAsync(Sl651Message request, CancellationToken cancellationToken)
        {
            Received = request;
            var command = (Sl651PumpSwitchCommand)request;
            return Task.FromResult<Sl651Message?>(new Sl651PumpStateReport(command.Serial, DateTime.Now, Header.Station, command.Pumps));
        }
    }
}
