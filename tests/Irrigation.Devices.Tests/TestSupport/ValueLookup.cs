namespace Irrigation.Devices.Tests.TestSupport;

internal static class ValueLookup
{
    /// <summary>The value with <paramref name="key"/> ("voltage_a", "pump2.running"); fails the test if missing.</summary>
    public static double ValueOf(this IReadOnlyList<QuantityValue> values, string key) =>
        Assert.Single(values, v => v.Key == key).Value;

    public static QuantityInstance Quantity(this DeviceReader reader, string key) =>
        Assert.Single(reader.Quantities, q => q.Key == key);
}
