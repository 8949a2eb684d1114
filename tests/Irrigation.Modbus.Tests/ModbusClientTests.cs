using Irrigation.Modbus.Client;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Server;
using Irrigation.Modbus.Tests.TestSupport;

namespace Irrigation.Modbus.Tests;

/// <summary>
/// <see cref="ModbusClient"/> against the real <see cref="ModbusTcpServer"/> on loopback, in both framings
/// (MBAP, and RTU frames over TCP as a DTU carries them).
/// </summary>
public sealed partial class ModbusClientTests
{
    private const byte Unit = LoopbackModbusServer.UnitId;

    public static TheoryData<string> Framings => LoopbackModbusServer.FramerNames;

    private static ModbusClientOptions Options(int retries = 0, int timeoutMilliseconds = 250) =>
        new() { Retries = retries, RequestTimeout = TimeSpan.FromMilliseconds(timeoutMilliseconds) };

    private static ushort[] HoldingAt(int start, int count) => [.. Enumerable.Range(start, count).Select(a => (ushort)(a + 0x1000))];

    private static ushort[] InputRegistersAt(int start, int count) => [.. Enumerable.Range(start, count).Select(a => (ushort)((a * 7) + 1))];

    private static bool[] InputsAt(int start, int count) => [.. Enumerable.Range(start, count).Select(a => a % 3 == 0)];

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadHoldingRegistersAsync_MappedRange_ReturnsStoreValues(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient();

        Assert.Equal(HoldingAt(10, 5), await client.ReadHoldingRegistersAsync(Unit, 10, 5));
        Assert.Equal(HoldingAt(0, 125), await client.ReadHoldingRegistersAsync(Unit, 0, 125));
        Assert.True(client.IsConnected);
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadInputRegistersAsync_MappedRange_ReturnsStoreValues(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient();

        Assert.Equal(InputRegistersAt(190, 10), await client.ReadInputRegistersAsync(Unit, 190, 10));
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadInputsAsync_AnyCount_ReturnsExactlyCountBits(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient();

        Assert.Equal(InputsAt(0, 1), await client.ReadInputsAsync(Unit, 0, 1));
        Assert.Equal(InputsAt(5, 13), await client.ReadInputsAsync(Unit, 5, 13));
        Assert.Equal(InputsAt(0, 200), await client.ReadInputsAsync(Unit, 0, 200));
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task WriteSingleCoilAsync_ThenReadCoilsAsync_ReadsWhatWasWritten(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient();

        await client.WriteSingleCoilAsync(Unit, 3, true);
        await client.WriteSingleCoilAsync(Unit, 5, true);
        await client.WriteSingleCoilAsync(Unit, 5, false);

        Assert.Equal(new[] { false, false, false, true, false, false }, await client.ReadCoilsAsync(Unit, 0, 6));
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task WriteMultipleCoilsAsync_ThenReadCoilsAsync_ReadsWhatWasWritten(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient();
        bool[] pattern = [.. Enumerable.Range(0, 19).Select(i => i % 2 == 0 || i == 7)];

        await client.WriteMultipleCoilsAsync(Unit, 20, pattern);

        Assert.Equal(pattern, await client.ReadCoilsAsync(Unit, 20, 19));
        var stored = new ushort[19];
        Assert.True(server.Store.TryRead(ModbusTable.Coils, 20, stored));
        Assert.Equal(pattern, stored.Select(v => v == 1));
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task WriteSingleRegisterAsync_ThenRead_ReadsWhatWasWritten(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient();

        await client.WriteSingleRegisterAsync(Unit, 7, 0xBEEF);

        Assert.Equal(new ushort[] { 0x1006, 0xBEEF, 0x1008 }, await client.ReadHoldingRegistersAsync(Unit, 6, 3));
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task WriteMultipleRegistersAsync_ThenRead_ReadsWhatWasWritten(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient();
        ushort[] values = [.. Enumerable.Range(0, 123).Select(i => (ushort)(0xA000 + i))];

        await client.WriteMultipleRegistersAsync(Unit, 50, values);

        Assert.Equal(values, await client.ReadHoldingRegistersAsync(Unit, 50, 123));
        Assert.Equal(0, client.Counters.TotalErrors);
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task SendAsync_ReadHolding_ReturnsTypedResponse(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient();

        var response = await client.SendAsync(Unit, new ReadRequest(ModbusFunctionCode.ReadHoldingRegisters, 0, 2));

        var registers = Assert.IsType<ReadRegistersResponse>(response);
        Assert.Equal(HoldingAt(0, 2), registers.Registers);
        Assert.Equal(1, client.Counters.Requests);
        Assert.Equal(1, client.Counters.Responses);
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadHoldingRegistersAsync_UnmappedAddress_ThrowsSlaveExceptionWithoutRetry(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient(new ModbusClientOptions { Retries = 3, RequestTimeout = TimeSpan.FromSeconds(3) });

        var ex = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.ReadHoldingRegistersAsync(Unit, 199, 2));

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, ex.Code);
        Assert.Equal(0x03, ex.FunctionCode);
        Assert.Equal(Unit, ex.UnitId);
        Assert.Equal(1, client.Counters[ModbusErrorKind.ExceptionResponse]);
        Assert.Equal(1, client.Counters.Requests);
        Assert.Equal(1, server.Server.Counters.Requests);
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task WriteSingleCoilAsync_UnmappedAddress_ThrowsIllegalDataAddress(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient();

        var ex = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.WriteSingleCoilAsync(Unit, 5000, true));

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, ex.Code);
        Assert.Equal(0x05, ex.FunctionCode);

        // The link is fine after an exception response.
        Assert.Equal(HoldingAt(0, 1), await client.ReadHoldingRegistersAsync(Unit, 0, 1));
    }

    [Fact]
    public async Task ReadHoldingRegistersAsync_QuantityOverLimit_ThrowsBeforeSending()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        await using var client = server.CreateClient();

        await Assert.ThrowsAsync<ArgumentException>(() => client.ReadHoldingRegistersAsync(Unit, 0, 126));
        await Assert.ThrowsAsync<ArgumentException>(() => client.ReadCoilsAsync(Unit, 0, 0));

        Assert.Equal(0, client.Counters.Requests);
        Assert.False(client.IsConnected);
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadHoldingRegistersAsync_UnitThatNeverAnswers_TimesOutAfterEveryRetryThenStillWorks(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient(Options(retries: 1, timeoutMilliseconds: 200));

        await Assert.ThrowsAsync<ModbusTimeoutException>(() => client.ReadHoldingRegistersAsync(LoopbackModbusServer.SilentUnitId, 0, 1));

        Assert.Equal(2, client.Counters[ModbusErrorKind.Timeout]);
        Assert.Equal(2, client.Counters.Requests);
        Assert.Equal(0, client.Counters.Responses);
        await Poll.UntilAsync(() => server.Server.Counters.Requests == 2, "the server saw both attempts");
        Assert.Equal(0, server.Server.Counters.Responses);

        // The same client still serves a unit that answers (two 200 ms attempts, plenty on loopback).
        Assert.Equal(HoldingAt(0, 3), await client.ReadHoldingRegistersAsync(Unit, 0, 3));
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadAsync_FiftyConcurrentCallers_EachGetsItsOwnAnswer(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient(new ModbusClientOptions { RequestTimeout = TimeSpan.FromSeconds(5) });
        var random = new Random(50);
        var plan = Enumerable.Range(0, 50)
            .Select(i => (Holding: i % 2 == 0, Start: random.Next(0, 150), Count: random.Next(1, 51)))
            .ToArray();

        var results = await Task.WhenAll(plan.Select(p => p.Holding
            ? client.ReadHoldingRegistersAsync(Unit, (ushort)p.Start, (ushort)p.Count)
            : client.ReadInputRegistersAsync(Unit, (ushort)p.Start, (ushort)p.Count)));

        for (var i = 0; i < plan.Length; i++)
        {
            var expected = plan[i].Holding ? HoldingAt(plan[i].Start, plan[i].Count) : InputRegistersAt(plan[i].Start, plan[i].Count);
            Assert.Equal(expected, results[i]);
        }

        Assert.Equal(50, client.Counters.Requests);
        Assert.Equal(50, client.Counters.Responses);
        Assert.Equal(0, client.Counters.TotalErrors);
        Assert.Equal(1, server.Server.ConnectionCount);
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task WriteAsync_ConcurrentWritersAndReaders_AllLand(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient(new ModbusClientOptions { RequestTimeout = TimeSpan.FromSeconds(5) });

        var writes = Enumerable.Range(0, 20).Select(i => client.WriteSingleRegisterAsync(Unit, (ushort)(100 + i), (ushort)(0xC000 + i)));
        var coilWrites = Enumerable.Range(0, 20).Select(i => client.WriteSingleCoilAsync(Unit, (ushort)i, i % 4 == 0));
        var reads = Enumerable.Range(0, 20).Select(i => client.ReadInputsAsync(Unit, (ushort)i, 10));
        await Task.WhenAll([.. writes, .. coilWrites, .. reads]);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => (ushort)(0xC000 + i)), await client.ReadHoldingRegistersAsync(Unit, 100, 20));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i % 4 == 0), await client.ReadCoilsAsync(Unit, 0, 20));
        Assert.Equal(0, client.Counters.TotalErrors);
    }
}
