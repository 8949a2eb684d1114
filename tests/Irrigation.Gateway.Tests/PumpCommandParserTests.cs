using System.Text;
using Irrigation.Contracts;
using Irrigation.Gateway.Commands;

namespace Irrigation.Gateway.Tests;

/// <summary>
/// Command payloads as they arrive on {root}/{station}/cmd (docs/mqtt.md): valid ones parse exactly; every
/// malformed one returns null with an error, never throws, and gives back the id when it could be read.
/// </summary>
public sealed class PumpCommandParserTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1763771400000);

    private static (PumpCommand? Command, string? Id, string? Error) Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    private static (PumpCommand? Command, string? Id, string? Error) Parse(byte[] payload)
    {
        var command = PumpCommandParser.Parse("st001", payload, Now, out var id, out var error);
        return (command, id, error);
    }

    [Fact]
    public void Parse_StartWithExpiresAtMilliseconds_AllFieldsRead()
    {
        var (command, id, error) = Parse("""{ "id": "6f1c2e0a", "action": "start", "pump": 1, "requestedBy": "zhangsan", "expiresAt": 1763771430000 }""");

        Assert.Null(error);
        Assert.Equal("6f1c2e0a", id);
        Assert.Equal(new PumpCommand("6f1c2e0a", "st001", PumpAction.Start, 1, "zhangsan", DateTimeOffset.FromUnixTimeMilliseconds(1763771430000), Now), command);
    }

    [Fact]
    public void Parse_StopWithExpiresAtIsoString_ParsedAsUtc()
    {
        var (command, _, error) = Parse("""{ "id": "c-2", "action": "stop", "pump": 16, "expiresAt": "2025-11-22T00:30:30Z" }""");

        Assert.Null(error);
        Assert.NotNull(command);
        Assert.Equal(PumpAction.Stop, command.Action);
        Assert.Equal(16, command.Pump);
        Assert.Equal("", command.RequestedBy);
        Assert.Equal(new DateTimeOffset(2025, 11, 22, 0, 30, 30, TimeSpan.Zero), command.ExpiresAt);
    }

    [Fact]
    public void Parse_IsoStringWithOffset_KeepsTheInstant()
    {
        var (command, _, _) = Parse("""{ "id": "c-3", "action": "start", "pump": 2, "expiresAt": "2025-11-22T08:30:30+08:00" }""");

        Assert.Equal(new DateTimeOffset(2025, 11, 22, 0, 30, 30, TimeSpan.Zero), command!.ExpiresAt);
    }

    [Theory]
    [InlineData("{ this is not json", "invalid JSON")]
    [InlineData("", "invalid JSON")]
    [InlineData("""[ { "id": "c-1", "action": "start", "pump": 1, "expiresAt": 1763771430000 } ]""", "not a JSON object")]
    [InlineData("\"start\"", "not a JSON object")]
    [InlineData("""{ "action": "start", "pump": 1, "expiresAt": 1763771430000 }""", "'id'")]
    [InlineData("""{ "id": "", "action": "start", "pump": 1, "expiresAt": 1763771430000 }""", "'id'")]
    [InlineData("""{ "id": 42, "action": "start", "pump": 1, "expiresAt": 1763771430000 }""", "'id'")]
    public void Parse_NoReadableId_NullIdAndError(string json, string expectedError)
    {
        var (command, id, error) = Parse(json);

        Assert.Null(command);
        Assert.Null(id);
        Assert.Contains(expectedError, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_IdLongerThan128_NullIdAndError()
    {
        var (command, id, error) = Parse($$"""{ "id": "{{new string('x', 129)}}", "action": "start", "pump": 1, "expiresAt": 1763771430000 }""");

        Assert.Null(command);
        Assert.Null(id);
        Assert.Equal("'id' must be a string of 1..128 characters", error);
    }

    [Fact]
    public void Parse_Id128Characters_Accepted()
    {
        var longest = new string('x', 128);

        var (command, id, _) = Parse($$"""{ "id": "{{longest}}", "action": "start", "pump": 1, "expiresAt": 1763771430000 }""");

        Assert.NotNull(command);
        Assert.Equal(longest, id);
    }

    [Theory]
    [InlineData("""{ "id": "c-9", "action": "explode", "pump": 1, "expiresAt": 1763771430000 }""", "'action'")]
    [InlineData("""{ "id": "c-9", "action": "START", "pump": 1, "expiresAt": 1763771430000 }""", "'action'")]
    [InlineData("""{ "id": "c-9", "pump": 1, "expiresAt": 1763771430000 }""", "'action'")]
    [InlineData("""{ "id": "c-9", "action": 1, "pump": 1, "expiresAt": 1763771430000 }""", "'action'")]
    [InlineData("""{ "id": "c-9", "action": "start", "pump": 0, "expiresAt": 1763771430000 }""", "'pump'")]
    [InlineData("""{ "id": "c-9", "action": "start", "pump": 17, "expiresAt": 1763771430000 }""", "'pump'")]
    [InlineData("""{ "id": "c-9", "action": "start", "pump": "1", "expiresAt": 1763771430000 }""", "'pump'")]
    [InlineData("""{ "id": "c-9", "action": "start", "pump": 1.5, "expiresAt": 1763771430000 }""", "'pump'")]
    [InlineData("""{ "id": "c-9", "action": "start", "pump": null, "expiresAt": 1763771430000 }""", "'pump'")]
    [InlineData("""{ "id": "c-9", "action": "start", "expiresAt": 1763771430000 }""", "'pump'")]
    [InlineData("""{ "id": "c-9", "action": "start", "pump": 1 }""", "'expiresAt'")]
    [InlineData("""{ "id": "c-9", "action": "start", "pump": 1, "expiresAt": "soon" }""", "'expiresAt'")]
    [InlineData("""{ "id": "c-9", "action": "start", "pump": 1, "expiresAt": 0 }""", "'expiresAt'")]
    [InlineData("""{ "id": "c-9", "action": "start", "pump": 1, "expiresAt": true }""", "'expiresAt'")]
    [InlineData("""{ "id": "c-9", "action": "start", "pump": 1, "expiresAt": 999999999999999999 }""", "'expiresAt'")]
    [InlineData("""{ "id": "c-9", "action": "start", "pump": 1, "expiresAt": 1e300 }""", "'expiresAt'")]
    public void Parse_InvalidFieldAfterId_ErrorNamesFieldAndIdReturned(string json, string field)
    {
        var (command, id, error) = Parse(json);

        Assert.Null(command);
        Assert.Equal("c-9", id);
        Assert.StartsWith(field, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PayloadOverMaximum_RejectedWithoutReadingIt()
    {
        var json = $$"""{ "id": "c-big", "action": "start", "pump": 1, "expiresAt": 1763771430000, "note": "{{new string('x', PumpCommandParser.MaxPayloadBytes)}}" }""";

        var (command, id, error) = Parse(json);

        Assert.Null(command);
        Assert.Null(id);
        Assert.Equal($"payload of {Encoding.UTF8.GetByteCount(json)} bytes exceeds {PumpCommandParser.MaxPayloadBytes}", error);
    }

    public static TheoryData<byte[], string?> InvalidUtf8Payloads() => new()
    {
        { [.. "{\""u8, 0xFF, 0xFE, .. "\":1}"u8], null },
        { [.. "{\"id\":\""u8, 0xFF, 0xFE, .. "\",\"action\":\"start\",\"pump\":1,\"expiresAt\":1763771430000}"u8], null },
        { [.. "{\"id\":\"c-9\",\"action\":\"start\",\"pump\":1,\"expiresAt\":1763771430000,\"requestedBy\":\""u8, 0xC3, .. "\"}"u8], "c-9" },
        { "{\"id\":\"c-9\",\"action\":\"start\",\"pump\":1,\"expiresAt\":1763771430000,\"requestedBy\":\"\\uD800\"}"u8.ToArray(), "c-9" },
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8Payloads))]
    public void Parse_InvalidTextInStrings_ErrorNotExceptionAndIdWhenReadable(byte[] payload, string? expectedId)
    {
        var (command, id, error) = Parse(payload);

        Assert.Null(command);
        Assert.Equal(expectedId, id);
        Assert.NotNull(error);
    }

    [Fact]
    public void Parse_NestedTooDeep_ErrorNotException()
    {
        var (command, _, error) = Parse(new string('[', 100) + new string(']', 100));

        Assert.Null(command);
        Assert.StartsWith("invalid JSON", error, StringComparison.Ordinal);
    }
}
