using Irrigation.Modbus.Client;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Tests.TestSupport;

namespace Irrigation.Modbus.Tests;

public sealed partial class ModbusClientTests
{
    [Fact]
    public async Task ReadAsync_RtuResponseCutOffThenQuiet_StaleBytesDroppedAndNextResponseRead()
    {
        var framer = ModbusRtuFramer.Instance;
        await using var peer = new ScriptedModbusPeer(AnswerExceptAtTrap(framer, request =>
        {
            // The first half of a valid response, then silence: the rest never comes.
            var whole = GoodAnswer(framer, request);
            return whole[..(whole.Length / 2)];
        }));
        await using var client = ClientFor(peer, framer, new ModbusClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(300), Retries = 0 });

        await Assert.ThrowsAsync<ModbusTimeoutException>(() => client.ReadHoldingRegistersAsync(Unit, TrapAddress, 1));
        await Task.Delay(ModbusLink.StalePartialFrame + TimeSpan.FromMilliseconds(100));

        // Without discarding, the stale half-frame would prefix this response and corrupt it.
        Assert.Equal(new ushort[] { GoodValue }, await client.ReadHoldingRegistersAsync(Unit, 1, 1));
        Assert.Equal(1, client.Counters[ModbusErrorKind.MalformedFrame]);
    }
}
