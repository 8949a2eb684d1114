using System.Buffers.Binary;
using System.Net.Sockets;
using Irrigation.Links;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Tests.TestSupport;

namespace Irrigation.Modbus.Tests;

/// <summary><see cref="ModbusClient"/> against a raw TCP peer that breaks the protocol in scripted ways.</summary>
public sealed partial class ModbusClientTests
{
    /// <summary>Register address that makes the scripted peer misbehave; every other read gets <see cref="GoodValue"/>.</summary>
    private const ushort TrapAddress = 0x0BAD;

    private const ushort GoodValue = 0x0042;

    private static ModbusClient ClientFor(ScriptedModbusPeer peer, IModbusFramer framer, ModbusClientOptions options) =>
        new(framer, new TcpStreamConnector("127.0.0.1", peer.Port), options);

    private static ushort StartAddress(RawFrame request) => BinaryPrimitives.ReadUInt16BigEndian(request.Pdu.AsSpan(1));

    private static byte[] GoodAnswer(IModbusFramer framer, RawFrame request) =>
        ScriptedModbusPeer.Frame(framer, request.TransactionId, request.UnitId, new ReadRegistersResponse(ModbusFunctionCode.ReadHoldingRegisters, [GoodValue]));

    /// <summary>Answers every read with <see cref="GoodValue"/>, except reads of <see cref="TrapAddress"/>, which get <paramref name="trap"/>.</summary>
    private static Func<int, NetworkStream, CancellationToken, Task> AnswerExceptAtTrap(IModbusFramer framer, Func<RawFrame, byte[]> trap) =>
        async (_, stream, cancellationToken) =>
        {
            var reader = new RawFrameReader(stream, framer, ModbusFrameDirection.Request);
            while (await reader.ReadAsync(cancellationToken) is { } request)
            {
                var answer = StartAddress(request) == TrapAddress ? trap(request) : GoodAnswer(framer, request);
                await stream.WriteAsync(answer, cancellationToken);
            }
        };

    [Fact]
    public async Task ReadAsync_ResponseWithWrongTransactionIdFirst_IgnoresItAndReturnsTheRightOne()
    {
        var framer = ModbusTcpFramer.Instance;
        await using var peer = new ScriptedModbusPeer(AnswerExceptAtTrap(framer, request =>
        [
            .. ScriptedModbusPeer.Frame(framer, (ushort)(request.TransactionId + 100), request.UnitId, new ReadRegistersResponse(ModbusFunctionCode.ReadHoldingRegisters, [0xDEAD])),
            .. ScriptedModbusPeer.Frame(framer, request.TransactionId, request.UnitId, new ReadRegistersResponse(ModbusFunctionCode.ReadHoldingRegisters, [0x1234])),
        ]));
        await using var client = ClientFor(peer, framer, new ModbusClientOptions { RequestTimeout = TimeSpan.FromSeconds(3) });

        Assert.Equal(new ushort[] { 0x1234 }, await client.ReadHoldingRegistersAsync(Unit, TrapAddress, 1));

        Assert.Equal(1, client.Counters[ModbusErrorKind.UnexpectedResponse]);
        Assert.Equal(1, client.Counters.TotalErrors);
        Assert.Null(peer.Fault);
    }

    [Fact]
    public async Task ReadAsync_RtuResponseFromWrongUnitFirst_IgnoresItAndReturnsTheRightOne()
    {
        var framer = ModbusRtuFramer.Instance;
        await using var peer = new ScriptedModbusPeer(AnswerExceptAtTrap(framer, request =>
        [
            .. ScriptedModbusPeer.Frame(framer, 0, (byte)(request.UnitId + 1), new ReadRegistersResponse(ModbusFunctionCode.ReadHoldingRegisters, [0xDEAD])),
            .. ScriptedModbusPeer.Frame(framer, 0, request.UnitId, new ReadRegistersResponse(ModbusFunctionCode.ReadInputRegisters, [0xDEAD])),
            .. ScriptedModbusPeer.Frame(framer, 0, request.UnitId, new ReadRegistersResponse(ModbusFunctionCode.ReadHoldingRegisters, [0x1234])),
        ]));
        await using var client = ClientFor(peer, framer, new ModbusClientOptions { RequestTimeout = TimeSpan.FromSeconds(3) });

        Assert.Equal(new ushort[] { 0x1234 }, await client.ReadHoldingRegistersAsync(Unit, TrapAddress, 1));

        Assert.Equal(2, client.Counters[ModbusErrorKind.UnexpectedResponse]);
        Assert.Null(peer.Fault);
    }

    [Fact]
    public async Task ReadAsync_LateResponseToATimedOutRequest_IsDiscardedByTheNextRequest()
    {
        var framer = ModbusTcpFramer.Instance;
        await using var peer = new ScriptedModbusPeer(async (_, stream, cancellationToken) =>
        {
            var reader = new RawFrameReader(stream, framer, ModbusFrameDirection.Request);
            var first = await reader.ReadAsync(cancellationToken);
            var second = await reader.ReadAsync(cancellationToken);
            await stream.WriteAsync(ScriptedModbusPeer.Frame(framer, first!.TransactionId, first.UnitId, new ReadRegistersResponse(ModbusFunctionCode.ReadHoldingRegisters, [0xDEAD])), cancellationToken);
            await stream.WriteAsync(GoodAnswer(framer, second!), cancellationToken);
            await reader.ReadAsync(cancellationToken);
        });
        await using var client = ClientFor(peer, framer, Options(timeoutMilliseconds: 200));

        await Assert.ThrowsAsync<ModbusTimeoutException>(() => client.ReadHoldingRegistersAsync(Unit, 0, 1));
        Assert.Equal(new[] { GoodValue }, await client.ReadHoldingRegistersAsync(Unit, 1, 1));

        Assert.Equal(1, client.Counters[ModbusErrorKind.UnexpectedResponse]);
        Assert.Equal(1, client.Counters[ModbusErrorKind.Timeout]);
        Assert.Null(peer.Fault);
    }

    public static TheoryData<string, string, ModbusErrorKind> GarbageAnswers => new()
    {
        { "tcp", "mbap protocol id 0x1234", ModbusErrorKind.MalformedFrame },
        { "tcp", "mbap length 0", ModbusErrorKind.MalformedFrame },
        { "tcp", "odd register byte count", ModbusErrorKind.MalformedPdu },
        { "rtu", "bad crc", ModbusErrorKind.CrcMismatch },
        { "rtu", "odd register byte count", ModbusErrorKind.MalformedPdu },
        { "rtu", "unknown function with valid crc", ModbusErrorKind.MalformedPdu },
    };

    private static byte[] Garbage(IModbusFramer framer, string kind, RawFrame request)
    {
        var transaction = $"{request.TransactionId >> 8:X2} {request.TransactionId & 0xFF:X2}";
        return kind switch
        {
            "mbap protocol id 0x1234" => Hex.Parse($"{transaction} 12 34 00 05 01 03 02 00 2A"),
            "mbap length 0" => Hex.Parse($"{transaction} 00 00 00 00 01 03 02 00 2A"),
            "odd register byte count" => WithFrame(framer, request, Hex.Parse("03 03 00 2A 00")),
            "bad crc" => Hex.Parse("01 03 02 00 2A 00 00"),
            "unknown function with valid crc" => ReferenceCrc.Rtu("01 2B 0E 01 00"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    private static byte[] WithFrame(IModbusFramer framer, RawFrame request, byte[] pdu)
    {
        var frame = new byte[framer.MaxFrameLength];
        return frame[..framer.WriteFrame(frame, request.TransactionId, request.UnitId, pdu)];
    }

    [Theory]
    [MemberData(nameof(GarbageAnswers))]
    public async Task ReadAsync_GarbageThenSilence_TimesOutCountsAndStaysUsable(string framing, string garbage, ModbusErrorKind counted)
    {
        var framer = LoopbackModbusServer.FramerNamed(framing);
        await using var peer = new ScriptedModbusPeer(AnswerExceptAtTrap(framer, request => Garbage(framer, garbage, request)));
        await using var client = ClientFor(peer, framer, Options(retries: 1, timeoutMilliseconds: 200));

        await Assert.ThrowsAsync<ModbusTimeoutException>(() => client.ReadHoldingRegistersAsync(Unit, TrapAddress, 1));

        Assert.Equal(2, client.Counters[ModbusErrorKind.Timeout]);
        Assert.Equal(2, client.Counters[counted]);
        Assert.True(client.IsConnected, "garbage does not cost the connection");

        Assert.Equal(new[] { GoodValue }, await client.ReadHoldingRegistersAsync(Unit, 0, 1));
        Assert.Equal(1, peer.Connections);
        Assert.Null(peer.Fault);
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadHoldingRegistersAsync_WrongRegisterCount_ThrowsModbusExceptionAndCounts(string framing)
    {
        var framer = LoopbackModbusServer.FramerNamed(framing);
        await using var peer = new ScriptedModbusPeer(AnswerExceptAtTrap(framer, request =>
            ScriptedModbusPeer.Frame(framer, request.TransactionId, request.UnitId, new ReadRegistersResponse(ModbusFunctionCode.ReadHoldingRegisters, [1, 2]))));
        await using var client = ClientFor(peer, framer, new ModbusClientOptions { RequestTimeout = TimeSpan.FromSeconds(3) });

        var ex = await Assert.ThrowsAsync<ModbusException>(() => client.ReadHoldingRegistersAsync(Unit, TrapAddress, 1));

        Assert.Contains("expected 1 registers", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, client.Counters[ModbusErrorKind.MalformedPdu]);
        Assert.Equal(1, client.Counters.Requests);
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task WriteSingleRegisterAsync_EchoDiffers_ThrowsModbusException(string framing)
    {
        var framer = LoopbackModbusServer.FramerNamed(framing);
        await using var peer = new ScriptedModbusPeer(AnswerExceptAtTrap(framer, request =>
            ScriptedModbusPeer.Frame(framer, request.TransactionId, request.UnitId, new WriteSingleResponse(ModbusFunctionCode.WriteSingleRegister, TrapAddress, 0x9999))));
        await using var client = ClientFor(peer, framer, new ModbusClientOptions { RequestTimeout = TimeSpan.FromSeconds(3) });

        var ex = await Assert.ThrowsAsync<ModbusException>(() => client.WriteSingleRegisterAsync(Unit, TrapAddress, 0x1111));

        Assert.Contains("echo", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, client.Counters[ModbusErrorKind.MalformedPdu]);
    }

    /// <summary>Connection 0 sends the first bytes of a good answer and hangs up; later connections answer properly.</summary>
    private static Func<int, NetworkStream, CancellationToken, Task> HangUpMidFrameOnFirstConnection(IModbusFramer framer) =>
        async (connection, stream, cancellationToken) =>
        {
            var reader = new RawFrameReader(stream, framer, ModbusFrameDirection.Request);
            while (await reader.ReadAsync(cancellationToken) is { } request)
            {
                var answer = GoodAnswer(framer, request);
                if (connection == 0)
                {
                    await stream.WriteAsync(answer.AsMemory(0, 4), cancellationToken);
                    await stream.FlushAsync(cancellationToken);
                    return;
                }

                await stream.WriteAsync(answer, cancellationToken);
            }
        };

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadAsync_PeerClosesMidFrameWithRetry_SucceedsOnNewConnection(string framing)
    {
        var framer = LoopbackModbusServer.FramerNamed(framing);
        await using var peer = new ScriptedModbusPeer(HangUpMidFrameOnFirstConnection(framer));
        await using var client = ClientFor(peer, framer, new ModbusClientOptions { Retries = 1, RequestTimeout = TimeSpan.FromSeconds(3) });

        Assert.Equal(new[] { GoodValue }, await client.ReadHoldingRegistersAsync(Unit, 0, 1));

        Assert.Equal(1, client.Counters[ModbusErrorKind.ConnectionFailure]);
        Assert.Equal(0, client.Counters[ModbusErrorKind.Timeout]);
        Assert.Equal(2, peer.Connections);
        Assert.Null(peer.Fault);
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadAsync_PeerClosesMidFrameWithoutRetry_ThrowsConnectionExceptionThenRecovers(string framing)
    {
        var framer = LoopbackModbusServer.FramerNamed(framing);
        await using var peer = new ScriptedModbusPeer(HangUpMidFrameOnFirstConnection(framer));
        await using var client = ClientFor(peer, framer, new ModbusClientOptions { Retries = 0, RequestTimeout = TimeSpan.FromSeconds(3) });

        var ex = await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadHoldingRegistersAsync(Unit, 0, 1));
        Assert.NotNull(ex.InnerException);
        Assert.False(client.IsConnected);

        Assert.Equal(new[] { GoodValue }, await client.ReadHoldingRegistersAsync(Unit, 0, 1));
        Assert.Equal(2, peer.Connections);
        Assert.Null(peer.Fault);
    }
}
