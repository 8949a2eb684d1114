namespace Irrigation.Devices.Tests.TestSupport;

/// <summary>The profiles in the repository's profiles/ folder, as copied next to the test assembly.</summary>
internal static class ShippedProfiles
{
    public const string Dtsu666 = "chint-dtsu666";
    public const string Sdm630 = "eastron-sdm630";
    public const string Adl400 = "acrel-adl400";
    public const string PumpController = "irrigation-pump-controller";
    public const string Dlt645Meter = "dlt645-2007-three-phase";

    private static readonly Lazy<IReadOnlyDictionary<string, DeviceProfile>> All = new(() => DeviceProfileLoader.LoadDirectory(Directory));

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "profiles");

    public static DeviceProfile Get(string id) => All.Value[id];

    /// <summary>The profile resolved with <paramref name="choices"/> given as "option=choice" pairs.</summary>
    public static ResolvedProfile Resolve(string id, params string[] choices) =>
        Get(id).Resolve(choices.Select(c => c.Split('=')).ToDictionary(p => p[0], p => p[1]));
}
