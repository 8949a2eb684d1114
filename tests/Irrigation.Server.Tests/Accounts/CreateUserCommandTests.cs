using Irrigation.Testing;

namespace Irrigation.Server.Tests;

/// <summary><c>irrigation-server create-user</c>: the first admin of a real installation, the password never on the command line.</summary>
public sealed class CreateUserCommandTests
{
    private static async Task<(int ExitCode, string Output)> RunAsync(string dataDirectory, string? password, params string[] args)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Irrigation__DataDirectory"] = dataDirectory,
            ["Irrigation__Auth__PasswordIterations"] = "10000",
        };
        if (password is not null)
            environment["IRRIGATION_PASSWORD"] = password;
        await using var process = ManagedProcess.Start("irrigation-server", RepoPaths.Server, ["create-user", .. args], environment: environment, workingDirectory: dataDirectory);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, process.Output);
    }

    [Fact]
    public async Task CreateUser_FirstAdmin_ThenTheSameNameRefused_WeakOrMissingPasswordRefused()
    {
        var directory = Path.Combine(Path.GetTempPath(), "irrigation-cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        try
        {
            var created = await RunAsync(directory, "first-admin-password", "chief", "admin", "站长");
            var again = await RunAsync(directory, "first-admin-password", "chief", "operator");
            var weak = await RunAsync(directory, "short", "bob", "operator");
            var noPassword = await RunAsync(directory, null, "carol", "viewer");
            var badRole = await RunAsync(directory, "long-enough-password", "dave", "superuser");

            Assert.Equal(0, created.ExitCode);
            Assert.Contains("created chief (admin)", created.Output, StringComparison.Ordinal);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("already exists", again.Output, StringComparison.Ordinal);
            Assert.Equal(1, weak.ExitCode);
            Assert.Equal(2, noPassword.ExitCode);
            Assert.Contains("IRRIGATION_PASSWORD", noPassword.Output, StringComparison.Ordinal);
            Assert.Equal(1, badRole.ExitCode);
            Assert.True(File.Exists(Path.Combine(directory, "irrigation.db")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
