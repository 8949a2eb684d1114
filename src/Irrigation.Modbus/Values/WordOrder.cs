namespace Irrigation.Modbus.Values;

/// <summary>
/// How a 32- or 64-bit value is laid out across 16-bit registers. Letters name the value's bytes from most
/// significant (A) to least; each register is sent high byte first, as Modbus requires.
/// <code>
/// value 0x41 0x20 0x00 0x00 (float 10.0) = bytes A B C D
///
///              register n    register n+1
///   ABCD       [ A | B ]     [ C | D ]     big-endian, "high word first"   (DTSU666, SDM630, most meters)
///   CDAB       [ C | D ]     [ A | B ]     words swapped, "low word first" (many PLCs; mbpoll's default)
///   BADC       [ B | A ]     [ D | C ]     bytes swapped inside each word
///   DCBA       [ D | C ]     [ B | A ]     fully little-endian
/// </code>
/// 64-bit values follow the same rule with bytes A..H: ABCD keeps registers most significant first, CDAB
/// reverses the register order, BADC swaps the bytes in each register, DCBA does both.
/// </summary>
public enum WordOrder
{
    ABCD,
    CDAB,
    BADC,
    DCBA,
}

/// <summary>How registers are read as a number.</summary>
public enum RegisterType
{
    UInt16,
    Int16,
    UInt32,
    Int32,
    Float32,
    UInt64,
    Int64,
    Float64,

    /// <summary>One bit inside a 16-bit register (bit 0 is the least significant).</summary>
    Bit,
}

public static class RegisterTypeExtensions
{
    /// <summary>Registers the type spans.</summary>
    public static int RegisterCount(this RegisterType type) => type switch
    {
        RegisterType.UInt16 or RegisterType.Int16 or RegisterType.Bit => 1,
        RegisterType.UInt32 or RegisterType.Int32 or RegisterType.Float32 => 2,
        _ => 4,
    };
}
