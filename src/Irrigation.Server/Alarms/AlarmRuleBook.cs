using Microsoft.Extensions.Options;
using System.Collections.Concurrent;
using Irrigation.Devices;
using Irrigation.Server.Configuration;
using Irrigation.Server.State;
using Irrigation.Server.Stations;

using Irrigation.Server.Profiles;

namespace Irrigation.Server.Alarms;

/// <summary>
/// Each station's effective alarm rules: built-in defaults, the bureau-wide settings, the defaults of the station's
/// device profiles (their "alarms" sections and <c>Irrigation:Alarms:Profiles</c>), then the station's own overrides
/// (<see cref="AlarmRules.For"/>). Checked once at start-up — a profile or a setting naming an unknown rule, profile or
/// basis stops the server with the file or key — and resolved once per station and rule.
/// </summary>
public sealed class AlarmRuleBook
{
    private readonly AlarmOptions _options;
    private readonly StationRegistry _stations;
    private readonly DeviceProfileLibrary _profiles;
    private readonly ConcurrentDictionary<(string Station, string Rule), AlarmRule> _resolved = new();

    public AlarmRuleBook(IOptions<AlarmOptions> options, StationRegistry stations, DeviceProfileLibrary profiles)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _stations = stations;
        _profiles = profiles;
        Validate();
    }

    public AlarmRule For(string ruleId, string station) =>
        _resolved.GetOrAdd((station, ruleId), key => AlarmRules.For(key.Rule, key.Station, _options, ProfilesOf(key.Station)));

    private List<DeviceProfile> ProfilesOf(string station) =>
        (_stations.Find(station)?.Profiles ?? []).Select(_profiles.Find).OfType<DeviceProfile>().ToList();

    private void Validate()
    {
        foreach (var profile in _profiles.Profiles.Values)
        {
            foreach (var (id, rule) in profile.Alarms)
            {
                if (!AlarmRules.Ids.Contains(id))
                    throw new InvalidDataException($"{profile.Source}: alarms.{id}: unknown rule (known: {string.Join(", ", AlarmRules.Ids)}).");
                if (AlarmRules.RelativeToProblem(id, rule.RelativeTo, rule.Threshold) is { } problem)
                    throw new InvalidDataException($"{profile.Source}: alarms.{id}: {problem}.");
            }
        }

        foreach (var (profileId, rules) in _options.Profiles)
        {
            if (_profiles.Find(profileId) is not { } profile)
                throw new ArgumentException($"Irrigation:Alarms:Profiles: unknown profile '{profileId}' (known: {string.Join(", ", _profiles.Profiles.Keys.DefaultIfEmpty("none"))}).");
            foreach (var (id, rule) in rules)
            {
                if (!string.IsNullOrEmpty(rule.RelativeTo) && !HasQuantity(profile, rule.RelativeTo))
                    throw new ArgumentException($"Irrigation:Alarms:Profiles:{profileId}:{id}: '{rule.RelativeTo}' is not a quantity of that profile.");
            }
        }
    }

    private static bool HasQuantity(DeviceProfile profile, string name) =>
        profile.Quantities.Concat(profile.Pumps?.Quantities ?? []).Any(q => q.Name == name);
}
