namespace Irrigation.Devices;

/// <summary>A profile (or a station's use of one) is invalid. The message names the file, the field and the reason.</summary>
public sealed class DeviceProfileException : Exception
{
    public DeviceProfileException(string file, string field, string reason, Exception? inner = null)
        : base($"{(string.IsNullOrEmpty(file) ? "device profile" : file)}: {field}: {reason}", inner)
    {
        File = file;
        Field = field;
        Reason = reason;
    }

    public string File { get; }

    public string Field { get; }

    public string Reason { get; }
}
