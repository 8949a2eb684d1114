using Irrigation.Devices;
using Irrigation.Server.Configuration;

namespace Irrigation.Server.Profiles;

/// <summary>
/// The device profiles the server reads labels, units and alarm defaults from, loaded once at start-up from
/// <c>Irrigation:ProfilesDirectory</c> (the gateway's profiles). A missing directory gives an empty library with a warning;
/// a bad profile stops the server naming the file and field, as it stops the gateway.
/// </summary>
public sealed class DeviceProfileLibrary
{
    public DeviceProfileLibrary(IReadOnlyDictionary<string, DeviceProfile> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        Profiles = profiles;
    }

    public IReadOnlyDictionary<string, DeviceProfile> Profiles { get; }

    public DeviceProfile? Find(string id) => Profiles.GetValueOrDefault(id);

    public static DeviceProfileLibrary Load(string directory, ILogger logger)
    {
        if (!Directory.Exists(directory))
        {
            logger.LogWarning("Profiles directory {Directory} not found: quantities are shown by key, without labels or units, and alarms use no profile defaults.", directory);
            return new DeviceProfileLibrary(new Dictionary<string, DeviceProfile>());
        }

        return new DeviceProfileLibrary(DeviceProfileLoader.LoadDirectory(directory));
    }
}

public static class ProfilesRegistration
{
    /// <summary>The device profiles (labels, units, alarm defaults) and the quantity catalog built from them.</summary>
    public static IServiceCollection AddProfiles(this IServiceCollection services)
    {
        services.AddSingleton(sp => DeviceProfileLibrary.Load(
            Path.GetFullPath(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SiteOptions>>().Value.ProfilesDirectory),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("profiles")));
        services.AddSingleton<QuantityCatalog>();
        return services;
    }
}
