using Microsoft.Extensions.Options;

namespace Irrigation.Server.Configuration;

/// <summary>
/// A feature's settings: one section of the configuration (<see cref="Section"/>, e.g. <c>Irrigation:Mqtt</c>), bound
/// strictly (an unknown key is an error, not silently ignored) and checked by <see cref="Validate"/> before anything starts.
/// </summary>
public interface IFeatureOptions
{
    /// <summary>The configuration path of the section, e.g. <c>Irrigation:Mqtt</c>.</summary>
    static abstract string Section { get; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the key (<c>Irrigation:Mqtt:Port …</c>) when a value is not usable.</summary>
    void Validate();
}

/// <summary>A configuration section some feature binds; the site options check that no other key sits beside them.</summary>
public sealed record BoundSection(string Path, Type OptionsType);

public static class FeatureOptionsRegistration
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to its section with <c>BindConfiguration</c> (unknown keys are errors) and validates it
    /// at start-up (<c>ValidateOnStart</c>); <c>Program</c> turns a failure into exit code 2 with the message.
    /// </summary>
    public static OptionsBuilder<T> AddFeatureOptions<T>(this IServiceCollection services) where T : class, IFeatureOptions
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(BoundSection) && d.ImplementationInstance is BoundSection { } s && s.OptionsType == typeof(T)))
            return services.AddOptions<T>(); // a second feature using the same section (MQTT: ingestion and commands)
        services.AddSingleton(new BoundSection(T.Section, typeof(T)));
        services.AddSingleton<IValidateOptions<T>, FeatureOptionsValidator<T>>();
        return services.AddOptions<T>()
            .BindConfiguration(T.Section, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
    }

    /// <summary>
    /// Runs every start-up validation now (options classes, unknown keys): the host would otherwise do it only in
    /// <c>RunAsync</c>, after code that already read the options. Returns the error text, or null when all is valid.
    /// </summary>
    public static string? ValidateConfiguration(this IServiceProvider services)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
            return null;
        }
        catch (OptionsValidationException ex)
        {
            return string.Join("; ", ex.Failures);
        }
        catch (InvalidOperationException ex) // the binder: an unknown key, a value of the wrong type (the key is in the inner exception)
        {
            if (ex.InnerException is { } inner)
                return $"{inner.Message} ({ex.Message})";
            // An unknown key: the binder names the class, the operator needs the section.
            var section = services.GetServices<BoundSection>().FirstOrDefault(s => ex.Message.Contains(s.OptionsType.FullName!, StringComparison.Ordinal));
            return section is null ? ex.Message : $"{section.Path}: unknown key ({ex.Message})";
        }
        catch (AggregateException ex)
        {
            return string.Join("; ", ex.InnerExceptions.Select(e => e is OptionsValidationException v ? string.Join("; ", v.Failures) : e.Message));
        }
    }

    private sealed class FeatureOptionsValidator<T> : IValidateOptions<T> where T : class, IFeatureOptions
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
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
