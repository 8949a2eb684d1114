using System.Buffers;
using System.Text;

namespace Irrigation.Contracts.Tests;

/// <summary>Each payload as exact bytes, read back, and never an exception on bad input.</summary>
public sealed class PayloadTests
{
    private static readonly TelemetryHeader Header = new("st001", "城东镇", "gw-01", 42, 1_764_000_000_000, TelemetryKind.Snapshot, Replayed: false, TelemetryQuality.Partial, DeviceLink.Good, DeviceLink.CommsLost);

    [Fact]
    public void Telemetry_Write_GivesTheDocumentedJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        TelemetryPayload.Write(buffer, Header, [new("voltage_a", 229.8, "V"), new("pump2.running", 1, "")]);

        Assert.Equal(
            """{"v":1,"station":"st001","site":"城东镇","gateway":"gw-01","seq":42,"ts":1764000000000,"kind":"snapshot","replayed":false,"quality":"partial","devices":{"meter":"good","controller":"comms_lost"},"values":{"voltage_a":{"v":229.8,"u":"V"},"pump2.running":{"v":1,"u":""}}}""",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Telemetry_WriteThenTryRead_GivesHeaderAndValuesBack()
    {
        var buffer = new ArrayBufferWriter<byte>();
        TelemetryPayload.Write(buffer, Header, [new("voltage_a", 229.8, "V"), new("pump2.running", 1, "")]);

        Assert.True(TelemetryPayload.TryRead(buffer.WrittenSpan, out var header, out var values, out var error), error);
        Assert.Equal(Header, header);
        Assert.Equal([new TelemetryValue("voltage_a", 229.8, "V"), new TelemetryValue("pump2.running", 1, "")], values);
    }

    [Fact]
    public void StationStatus_Write_GivesTheDocumentedJsonAndReadsBack()
    {
        var status = new StationStatusMessage("st001", "gw-01", StationLink.CommsLost, 1_764_000_000_000, 1_764_000_005_000, DeviceLink.CommsLost, null, "timeout");
        var bytes = StatusPayload.Write(status);

        Assert.Equal("""{"station":"st001","gateway":"gw-01","state":"comms_lost","since":1764000000000,"ts":1764000005000,"meter":"comms_lost","controller":null,"error":"timeout"}""", Encoding.UTF8.GetString(bytes));
        Assert.True(StatusPayload.TryRead(bytes, out StationStatusMessage? read, out _));
        Assert.Equal(status, read);
    }

    [Fact]
    public void GatewayStatus_WillAndOnline_GiveTheDocumentedJson()
    {
        Assert.Equal("""{"gateway":"gw-01","state":"offline"}""", Encoding.UTF8.GetString(StatusPayload.Write(new GatewayStatusMessage("gw-01", GatewayState.Offline, null))));
        var online = StatusPayload.Write(new GatewayStatusMessage("gw-01", GatewayState.Online, 1_764_000_000_000));
        Assert.Equal("""{"gateway":"gw-01","state":"online","ts":1764000000000}""", Encoding.UTF8.GetString(online));
        Assert.True(StatusPayload.TryRead(online, out GatewayStatusMessage? read, out _));
        Assert.Equal(new GatewayStatusMessage("gw-01", GatewayState.Online, 1_764_000_000_000), read);
    }

    [Fact]
    public void Command_Write_GivesTheDocumentedJsonAndParsesBack()
    {
        var command = new CommandMessage("c-1", PumpAction.Start, 2, "张三", DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_030_000));
        var bytes = CommandPayload.Write(command);

        Assert.Equal("""{"id":"c-1","action":"start","pump":2,"requestedBy":"张三","expiresAt":1764000030000}""", Encoding.UTF8.GetString(bytes));
        Assert.Equal(command, CommandPayload.Parse(bytes, out var id, out var error));
        Assert.Equal(("c-1", null), (id, error));
    }

    [Fact]
    public void CommandResult_Write_GivesTheDocumentedJsonAndReadsBack()
    {
        var result = new CommandResultMessage("c-1", "st001", 2, "start", CommandOutcomes.Rejected, CommandReasons.LocalMode, "the station's selector is in local mode", "张三", 1_764_000_001_000, "gw-01");
        var bytes = CommandResultPayload.Write(result);

        Assert.Equal("""{"id":"c-1","station":"st001","pump":2,"action":"start","outcome":"rejected","reason":"local_mode","detail":"the station's selector is in local mode","requestedBy":"张三","ts":1764000001000,"gateway":"gw-01"}""", Encoding.UTF8.GetString(bytes));
        Assert.True(CommandResultPayload.TryRead(bytes, out var read, out _));
        Assert.Equal(result, read);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{")]
    [InlineData("""{"v":2}""")]
    [InlineData("""{"v":1,"station":"st001","gateway":"g","seq":0,"ts":1,"kind":"snapshot","replayed":false,"quality":"good","values":{}}""")]
    [InlineData("""{"v":1,"station":"st001","gateway":"g","seq":1,"ts":1,"kind":"delta","replayed":false,"quality":"good","values":{}}""")]
    [InlineData("""{"v":1,"station":"st001","gateway":"g","seq":1,"ts":1,"kind":"change","replayed":false,"quality":"good","values":{"a":5}}""")]
    [InlineData("""{"id":"","outcome":"succeeded"}""")]
    [InlineData("""{"id":"x","outcome":"maybe"}""")]
    [InlineData("""{"station":"st001"}""")]
    public void TryRead_Malformed_FalseWithAReasonNeverThrows(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.False(TelemetryPayload.TryRead(bytes, out _, out _, out var telemetryError));
        Assert.NotNull(telemetryError);
        Assert.False(StatusPayload.TryRead(bytes, out StationStatusMessage? _, out _));
        Assert.False(CommandResultPayload.TryRead(bytes, out _, out var resultError));
        Assert.NotNull(resultError);
        Assert.Null(CommandPayload.Parse(bytes, out _, out var commandError));
        Assert.NotNull(commandError);
    }

    [Fact]
    public void Readers_RandomBytes_NeverThrow()
    {
        var random = new Random(651);
        var valid = CommandResultPayload.Write(new CommandResultMessage("c-1", "st001", 2, "start", CommandOutcomes.Succeeded, null, null, "", 1, "gw"));
        for (var i = 0; i < 2000; i++)
        {
            var bytes = i % 2 == 0 ? new byte[random.Next(0, 200)] : (byte[])valid.Clone();
            if (i % 2 == 0)
                random.NextBytes(bytes);
            else
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            TelemetryPayload.TryRead(bytes, out _, out _, out _);
            StatusPayload.TryRead(bytes, out StationStatusMessage? _, out _);
            StatusPayload.TryRead(bytes, out GatewayStatusMessage? _, out _);
            CommandResultPayload.TryRead(bytes, out _, out _);
            CommandPayload.Parse(bytes, out _, out _);
        }
    }
}
