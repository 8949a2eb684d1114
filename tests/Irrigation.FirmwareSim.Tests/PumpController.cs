namespace Irrigation.FirmwareSim.Tests;

/// <summary>
/// The command points of profiles/irrigation-pump-controller.json, written out by hand so the tests also pin the
/// layout: three coils per pump every 8 coils, and a control word at register 15 of each 10-register pump block.
/// </summary>
internal static class PumpController
{
    public const ushort StartWord = 1;
    public const ushort StopWord = 2;
    public const ushort ResetWord = 4;

    public static ushort StartCoil(int pump) => (ushort)(8 * (pump - 1));

    public static ushort StopCoil(int pump) => (ushort)((8 * (pump - 1)) + 1);

    public static ushort ResetCoil(int pump) => (ushort)((8 * (pump - 1)) + 2);

    public static ushort ControlWord(int pump) => (ushort)(15 + (10 * (pump - 1)));
}
