using Microsoft.Extensions.Configuration;

namespace Irrigation.Gateway.Configuration;

/// <summary>The configuration file is wrong; the message names the file, the field and the reason.</summary>
public sealed class GatewayConfigurationException : Exception
{
    public GatewayConfigurationException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>Reads gateway.json: the one place that does, for the gateway and for the server's station list.</summary>
public static class GatewayConfigurationFile
{
    /// <summary>
    /// Environment variables with this prefix override the file, in .NET's form (<c>IRRIGATION_GATEWAY__commands__keys__0__secret</c>):
    /// secrets such as command keys stay out of a configuration file that containers mount read-only.
    /// </summary>
    public const string EnvironmentPrefix = "IRRIGATION_GATEWAY__";

    /// <summary>Binds the file strictly (an unknown key is an error); throws <see cref="GatewayConfigurationException"/> naming the file and the key or line.</summary>
    /// <param name="environment">
    /// True for the gateway program reading its own file (<see cref="EnvironmentPrefix"/> variables override it); false
    /// for anyone else reading a gateway's file (the server's station list), which must see the file as it is.
    /// </param>
    public static GatewayOptions Bind(string path, bool environment = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new GatewayConfigurationException($"{path}: configuration file not found.");
        try
        {
            var builder = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path), optional: false, reloadOnChange: false);
            if (environment)
                builder.AddEnvironmentVariables(EnvironmentPrefix);
            var configuration = builder.Build();
            var options = new GatewayOptions();
            configuration.Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
            return options;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            // The binder and the JSON provider wrap the message that names the key or the line in generic ones
            // ("binding has failed", "Failed to load configuration from file"): report the specific one.
            var specific = ex;
            for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
            {
                if (inner is InvalidOperationException or System.Text.Json.JsonException)
                    specific = inner;
            }

            throw new GatewayConfigurationException($"{path}: {specific.Message}", ex);
        }
    }
}
