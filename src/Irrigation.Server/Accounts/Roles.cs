namespace Irrigation.Server.Accounts;

/// <summary>The four roles and the authorization policies built from them.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Maintenance = "maintenance";
    public const string Viewer = "viewer";

    public static IReadOnlyList<string> All { get; } = [Admin, Operator, Maintenance, Viewer];

    public static bool IsValid(string? role) => role is Admin or Operator or Maintenance or Viewer;

    /// <summary>Policy: start and stop pumps.</summary>
    public const string CanOperate = "operate";

    /// <summary>Policy: acknowledge alarms.</summary>
    public const string CanMaintain = "maintain";

    /// <summary>Policy: users and administration, the audit trail.</summary>
    public const string CanAdminister = "administer";
}
