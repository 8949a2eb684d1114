using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Tests.Peers;
using Irrigation.Mqtt.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Mqtt.Tests;

/// <summary>A mosquitto with <c>allow_anonymous false</c> and a password file made by mosquitto_passwd.</summary>
public sealed class MosquittoAuthTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string User = "gateway";
    private const string Password = "s3cret-pass";

    private MosquittoBroker? _broker;

    public async Task InitializeAsync()
    {
        var passwd = DebianMqttPeers.Require(DebianMqttPeers.MosquittoPasswd);
        _broker = await MosquittoBroker.StartAsync(
            async directory =>
            {
                var file = Path.Combine(directory, "passwd");
                await using var process = ManagedProcess.Start(passwd, ["-b", "-c", file, User, Password]);
                var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
                if (exitCode != 0)
                    throw new InvalidOperationException($"mosquitto_passwd failed ({exitCode}): {process.StandardError}");
                return $"password_file {file}";
            },
            allowAnonymous: false);
    }

    public async Task DisposeAsync()
    {
        if (_broker is not null)
            await _broker.DisposeAsync();
    }

    [Fact]
    public async Task ConnectAsync_WrongPassword_ThrowsWithRefusalCodeAndClearMessage()
    {
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => ConnectAsync(User, "wrong"));

        Assert.True(ex.ReturnCode is MqttConnectReturnCode.BadUsernameOrPassword or MqttConnectReturnCode.NotAuthorized, $"code {ex.ReturnCode}");
        Assert.Matches(@"refused the connection of ""[^""]+"": (bad user name or password|not authorized)", ex.Message);
        output.WriteLine(ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_NoCredentials_ThrowsNotAuthorized()
    {
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => ConnectAsync(null, null));

        Assert.True(ex.ReturnCode is MqttConnectReturnCode.BadUsernameOrPassword or MqttConnectReturnCode.NotAuthorized, $"code {ex.ReturnCode}");
        output.WriteLine(ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_RightPassword_Connects()
    {
        await using var client = await ConnectAsync(User, Password);
        Assert.True(client.IsConnected);
    }

    private async Task<ReconnectingMqttClient> ConnectAsync(string? user, string? password)
    {
        var options = _broker!.ClientOptions($"auth-{Guid.NewGuid():N}"[..20]);
        options.Username = user;
        options.Password = password;
        var client = new ReconnectingMqttClient(options, new TestLogger(output));
        try
        {
            await client.ConnectAsync(CancellationToken.None);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }
}
