using System.Buffers.Binary;

namespace Irrigation.Modbus.Pdu;

/// <summary>Outcome of decoding a request PDU on the server side.</summary>
public enum RequestDecodeStatus
{
    Ok,

    /// <summary>Function code not supported: answer exception 01.</summary>
    IllegalFunction,

    /// <summary>Quantity or byte count out of the spec's range: answer exception 03.</summary>
    IllegalDataValue,
}

/// <summary>
/// Bytes &lt;-&gt; PDUs for the eight supported functions (Modbus Application Protocol V1.1b3 §6–7).
/// All multi-byte fields are big-endian. Readers never throw: short or inconsistent input is reported.
/// </summary>
public static class ModbusPduFormatter
{
    /// <summary>Largest request or response PDU this formatter writes.</summary>
    public const int MaxPduLength = ModbusLimits.MaxPduLength;

    /// <summary>Writes a request PDU into <paramref name="destination"/> and returns its length.</summary>
    /// <exception cref="ArgumentException">The request breaks the spec's limits (a caller bug, not wire input).</exception>
    public static int WriteRequest(ModbusRequest request, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request)
        {
            case ReadRequest read:
                {
                    var max = read.ReadsBits ? ModbusLimits.MaxReadBits : ModbusLimits.MaxReadRegisters;
                    if (read.Quantity is 0 || read.Quantity > max)
                        throw new ArgumentException($"{read.Function} quantity must be 1..{max}, was {read.Quantity}.", nameof(request));
                    destination[0] = (byte)read.Function;                                      // 00    function
                    BinaryPrimitives.WriteUInt16BigEndian(destination[1..], read.StartAddress); // 01-02 starting address
                    BinaryPrimitives.WriteUInt16BigEndian(destination[3..], read.Quantity);     // 03-04 quantity
                    return 5;
                }
            case WriteSingleCoilRequest coil:
                destination[0] = (byte)ModbusFunctionCode.WriteSingleCoil;
                BinaryPrimitives.WriteUInt16BigEndian(destination[1..], coil.Address);
                BinaryPrimitives.WriteUInt16BigEndian(destination[3..], coil.Value ? ModbusLimits.CoilOn : ModbusLimits.CoilOff);
                return 5;
            case WriteSingleRegisterRequest register:
                destination[0] = (byte)ModbusFunctionCode.WriteSingleRegister;
                BinaryPrimitives.WriteUInt16BigEndian(destination[1..], register.Address);
                BinaryPrimitives.WriteUInt16BigEndian(destination[3..], register.Value);
                return 5;
            case WriteMultipleCoilsRequest coils:
                {
                    if (coils.Values.Length is 0 || coils.Values.Length > ModbusLimits.MaxWriteBits)
                        throw new ArgumentException($"Write multiple coils takes 1..{ModbusLimits.MaxWriteBits} coils, was {coils.Values.Length}.", nameof(request));
                    var byteCount = (coils.Values.Length + 7) / 8;
                    destination[0] = (byte)ModbusFunctionCode.WriteMultipleCoils;               // 00    function
                    BinaryPrimitives.WriteUInt16BigEndian(destination[1..], coils.StartAddress); // 01-02 starting address
                    BinaryPrimitives.WriteUInt16BigEndian(destination[3..], (ushort)coils.Values.Length); // 03-04 quantity
                    destination[5] = (byte)byteCount;                                           // 05    byte count
                    PackBits(coils.Values, destination.Slice(6, byteCount));                    // 06..  coil status, LSB first
                    return 6 + byteCount;
                }
            case WriteMultipleRegistersRequest registers:
                {
                    if (registers.Values.Length is 0 || registers.Values.Length > ModbusLimits.MaxWriteRegisters)
                        throw new ArgumentException($"Write multiple registers takes 1..{ModbusLimits.MaxWriteRegisters} registers, was {registers.Values.Length}.", nameof(request));
                    destination[0] = (byte)ModbusFunctionCode.WriteMultipleRegisters;              // 00    function
                    BinaryPrimitives.WriteUInt16BigEndian(destination[1..], registers.StartAddress); // 01-02 starting address
                    BinaryPrimitives.WriteUInt16BigEndian(destination[3..], (ushort)registers.Values.Length); // 03-04 quantity
                    destination[5] = (byte)(registers.Values.Length * 2);                          // 05    byte count
                    WriteRegisters(registers.Values, destination[6..]);                            // 06..  values
                    return 6 + (registers.Values.Length * 2);
                }
            default:
                throw new ArgumentException($"Unsupported request type {request.GetType().Name}.", nameof(request));
        }
    }

    /// <summary>Writes a response PDU into <paramref name="destination"/> and returns its length.</summary>
    public static int WriteResponse(ModbusResponse response, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(response);
        switch (response)
        {
            case ExceptionResponse exception:
                destination[0] = (byte)(exception.FunctionCode | ModbusLimits.ExceptionFlag); // 00 function | 0x80
                destination[1] = (byte)exception.Code;                                      // 01 exception code
                return 2;
            case ReadBitsResponse bits:
                {
                    var byteCount = (bits.Bits.Length + 7) / 8;
                    destination[0] = (byte)bits.Function;
                    destination[1] = (byte)byteCount;
                    PackBits(bits.Bits, destination.Slice(2, byteCount));
                    return 2 + byteCount;
                }
            case ReadRegistersResponse registers:
                destination[0] = (byte)registers.Function;
                destination[1] = (byte)(registers.Registers.Length * 2);
                WriteRegisters(registers.Registers, destination[2..]);
                return 2 + (registers.Registers.Length * 2);
            case WriteSingleResponse single:
                destination[0] = (byte)single.Function;
                BinaryPrimitives.WriteUInt16BigEndian(destination[1..], single.Address);
                BinaryPrimitives.WriteUInt16BigEndian(destination[3..], single.Value);
                return 5;
            case WriteMultipleResponse multiple:
                destination[0] = (byte)multiple.Function;
                BinaryPrimitives.WriteUInt16BigEndian(destination[1..], multiple.StartAddress);
                BinaryPrimitives.WriteUInt16BigEndian(destination[3..], multiple.Quantity);
                return 5;
            default:
                throw new ArgumentException($"Unsupported response type {response.GetType().Name}.", nameof(response));
        }
    }

    /// <summary>
    /// Decodes a request PDU as a server receives it. Returns <see cref="RequestDecodeStatus.Ok"/> with the
    /// request, or the exception the server must answer with. Truncated PDUs are IllegalDataValue.
    /// </summary>
    public static RequestDecodeStatus TryReadRequest(ReadOnlySpan<byte> pdu, out ModbusRequest? request)
    {
        request = null;
        if (pdu.IsEmpty)
            return RequestDecodeStatus.IllegalDataValue;
        var function = pdu[0];
        if (!ModbusLimits.IsSupported(function))
            return RequestDecodeStatus.IllegalFunction;
        if (pdu.Length < 5)
            return RequestDecodeStatus.IllegalDataValue;

        var address = BinaryPrimitives.ReadUInt16BigEndian(pdu[1..]);
        var word = BinaryPrimitives.ReadUInt16BigEndian(pdu[3..]);
        switch ((ModbusFunctionCode)function)
        {
            case ModbusFunctionCode.ReadCoils or ModbusFunctionCode.ReadDiscreteInputs:
                if (pdu.Length != 5 || word is 0 || word > ModbusLimits.MaxReadBits)
                    return RequestDecodeStatus.IllegalDataValue;
                request = new ReadRequest((ModbusFunctionCode)function, address, word);
                return RequestDecodeStatus.Ok;
            case ModbusFunctionCode.ReadHoldingRegisters or ModbusFunctionCode.ReadInputRegisters:
                if (pdu.Length != 5 || word is 0 || word > ModbusLimits.MaxReadRegisters)
                    return RequestDecodeStatus.IllegalDataValue;
                request = new ReadRequest((ModbusFunctionCode)function, address, word);
                return RequestDecodeStatus.Ok;
            case ModbusFunctionCode.WriteSingleCoil:
                // §6.5: only 0xFF00 and 0x0000 are legal; anything else is exception 03.
                if (pdu.Length != 5 || (word != ModbusLimits.CoilOn && word != ModbusLimits.CoilOff))
                    return RequestDecodeStatus.IllegalDataValue;
                request = new WriteSingleCoilRequest(address, word == ModbusLimits.CoilOn);
                return RequestDecodeStatus.Ok;
            case ModbusFunctionCode.WriteSingleRegister:
                if (pdu.Length != 5)
                    return RequestDecodeStatus.IllegalDataValue;
                request = new WriteSingleRegisterRequest(address, word);
                return RequestDecodeStatus.Ok;
            case ModbusFunctionCode.WriteMultipleCoils:
                {
                    if (pdu.Length < 6 || word is 0 || word > ModbusLimits.MaxWriteBits)
                        return RequestDecodeStatus.IllegalDataValue;
                    int byteCount = pdu[5];
                    if (byteCount != (word + 7) / 8 || pdu.Length != 6 + byteCount)
                        return RequestDecodeStatus.IllegalDataValue;
                    request = new WriteMultipleCoilsRequest(address, UnpackBits(pdu.Slice(6, byteCount), word));
                    return RequestDecodeStatus.Ok;
                }
            case ModbusFunctionCode.WriteMultipleRegisters:
                {
                    if (pdu.Length < 6 || word is 0 || word > ModbusLimits.MaxWriteRegisters)
                        return RequestDecodeStatus.IllegalDataValue;
                    int byteCount = pdu[5];
                    if (byteCount != word * 2 || pdu.Length != 6 + byteCount)
                        return RequestDecodeStatus.IllegalDataValue;
                    request = new WriteMultipleRegistersRequest(address, ReadRegisters(pdu.Slice(6, byteCount)));
                    return RequestDecodeStatus.Ok;
                }
            default:
                return RequestDecodeStatus.IllegalFunction;
        }
    }

    /// <summary>
    /// Decodes a response PDU as a client receives it. Returns false with a reason for anything malformed:
    /// short input, byte counts that disagree with the length, unknown function codes.
    /// </summary>
    public static bool TryReadResponse(ReadOnlySpan<byte> pdu, out ModbusResponse? response, out string? error)
    {
        response = null;
        error = null;
        if (pdu.IsEmpty)
        {
            error = "empty PDU";
            return false;
        }

        var function = pdu[0];
        if ((function & ModbusLimits.ExceptionFlag) != 0)
        {
            if (pdu.Length != 2)
            {
                error = $"exception response must be 2 bytes, was {pdu.Length}";
                return false;
            }

            response = new ExceptionResponse((byte)(function & ~ModbusLimits.ExceptionFlag), (ModbusExceptionCode)pdu[1]);
            return true;
        }

        if (!ModbusLimits.IsSupported(function))
        {
            error = $"unknown function code 0x{function:X2}";
            return false;
        }

        switch ((ModbusFunctionCode)function)
        {
            case ModbusFunctionCode.ReadCoils or ModbusFunctionCode.ReadDiscreteInputs:
                {
                    if (pdu.Length < 2 || pdu[1] != pdu.Length - 2 || pdu[1] == 0)
                    {
                        error = "byte count does not match PDU length";
                        return false;
                    }

                    response = new ReadBitsResponse((ModbusFunctionCode)function, UnpackBits(pdu[2..], pdu[1] * 8));
                    return true;
                }
            case ModbusFunctionCode.ReadHoldingRegisters or ModbusFunctionCode.ReadInputRegisters:
                {
                    if (pdu.Length < 2 || pdu[1] != pdu.Length - 2 || pdu[1] == 0 || (pdu[1] & 1) != 0)
                    {
                        error = "register byte count does not match PDU length or is odd";
                        return false;
                    }

                    response = new ReadRegistersResponse((ModbusFunctionCode)function, ReadRegisters(pdu[2..]));
                    return true;
                }
            default:
                if (pdu.Length != 5)
                {
                    error = $"write response must be 5 bytes, was {pdu.Length}";
                    return false;
                }

                var address = BinaryPrimitives.ReadUInt16BigEndian(pdu[1..]);
                var word = BinaryPrimitives.ReadUInt16BigEndian(pdu[3..]);
                response = function is (byte)ModbusFunctionCode.WriteSingleCoil or (byte)ModbusFunctionCode.WriteSingleRegister
                    ? new WriteSingleResponse((ModbusFunctionCode)function, address, word)
                    : new WriteMultipleResponse((ModbusFunctionCode)function, address, word);
                return true;
        }
    }

    /// <summary>Packs bits LSB-first into bytes, as §6.1 and §6.11 lay them out; unused high bits are zero.</summary>
    public static void PackBits(ReadOnlySpan<bool> bits, Span<byte> destination)
    {
        destination.Clear();
        for (var i = 0; i < bits.Length; i++)
        {
            if (bits[i])
                destination[i >> 3] |= (byte)(1 << (i & 7));
        }
    }

    public static bool[] UnpackBits(ReadOnlySpan<byte> bytes, int count)
    {
        var bits = new bool[Math.Min(count, bytes.Length * 8)];
        for (var i = 0; i < bits.Length; i++)
            bits[i] = (bytes[i >> 3] & (1 << (i & 7))) != 0;
        return bits;
    }

    private static void WriteRegisters(ReadOnlySpan<ushort> values, Span<byte> destination)
    {
        for (var i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteUInt16BigEndian(destination[(i * 2)..], values[i]);
    }

    private static ushort[] ReadRegisters(ReadOnlySpan<byte> bytes)
    {
        var values = new ushort[bytes.Length / 2];
        for (var i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadUInt16BigEndian(bytes[(i * 2)..]);
        return values;
    }
}
