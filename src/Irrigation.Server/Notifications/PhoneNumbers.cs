namespace Irrigation.Server.Notifications;

/// <summary>Phone numbers as logs and the API show them: the first three and last four digits, the middle masked.</summary>
public static class PhoneNumbers
{
    public static string Mask(string? phone)
    {
        if (string.IsNullOrEmpty(phone))
            return "";
        return phone.Length >= 8 ? string.Concat(phone.AsSpan(0, 3), "****", phone.AsSpan(phone.Length - 4)) : new string('*', phone.Length);
    }
}
