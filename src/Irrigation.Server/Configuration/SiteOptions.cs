using Microsoft.Extensions.Options;

namespace Irrigation.Server.Configuration;

/// <summary>
/// The installation's settings at the top of the "Irrigation" section: where data lives, the topic root and the
/// stations. Each feature's own settings are a subsection (Irrigation:Mqtt, Irrigation:Alarms …) in its folder.
/// </summary>
public sealed class SiteOptions
{
    public const string Section = "Irrigation";

    public string TopicRoot { get; set; } = "irrigation";

    /// <summary>Gateway configuration files whose stations are accepted; empty = accept every station.</summary>
    public List<string> StationFiles { get; set; } = new();

    public string DataDirectory { get; set; } = "data";

    /// <summary>Device profiles (labels and units of quantities for the API); missing directory = keys only.</summary>
    public string ProfilesDirectory { get; set; } = "profiles";

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TopicRoot) || TopicRoot.IndexOfAny(['/', '+', '#']) >= 0)
            throw new ArgumentException($"Irrigation:TopicRoot '{TopicRoot}' must be a single topic level.");
        if (string.IsNullOrWhiteSpace(DataDirectory))
            throw new ArgumentException("Irrigation:DataDirectory is required.");
        foreach (var file in StationFiles)
        {
            if (!File.Exists(file))
                throw new ArgumentException($"Irrigation:StationFiles: '{file}' does not exist.");
        }
    }

    /// <summary>The data directory as a full path, created when missing.</summary>
    public string DataPath()
    {
        var path = Path.GetFullPath(DataDirectory);
        Directory.CreateDirectory(path);
        return path;
    }
}

public static class SiteOptionsRegistration
{
    /// <summary>The site options, and the check that every key under "Irrigation" is one of them or a feature's section.</summary>
    public static IServiceCollection AddSiteOptions(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<SiteOptions>, SiteOptionsValidator>();
        services.AddOptions<SiteOptions>().BindConfiguration(SiteOptions.Section).ValidateOnStart();
        return services;
    }

    private sealed class SiteOptionsValidator(IConfiguration configuration, IEnumerable<BoundSection> sections) : IValidateOptions<SiteOptions>
    {
        private static readonly string[] Properties = typeof(SiteOptions).GetProperties().Select(p => p.Name).ToArray();

        public ValidateOptionsResult Validate(string? name, SiteOptions options)
        {
            var known = Properties.Concat(sections.Select(s => s.Path[(SiteOptions.Section.Length + 1)..])).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var unknown = configuration.GetSection(SiteOptions.Section).GetChildren().Select(c => c.Key).Where(k => !known.Contains(k)).ToList();
            if (unknown.Count > 0)
                return ValidateOptionsResult.Fail($"unknown key(s) {string.Join(", ", unknown.Select(k => $"{SiteOptions.Section}:{k}"))} (known: {string.Join(", ", known.Order(StringComparer.Ordinal))}).");
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
