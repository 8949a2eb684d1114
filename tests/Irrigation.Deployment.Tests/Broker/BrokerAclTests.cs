using Irrigation.Contracts;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Deployment.Tests.Broker;

/// <summary>
/// A real mosquitto with the password file of scripts/mqtt-passwd.sh and the ACL of irrigation-probe mqtt-acl, both
/// made from two gateway configurations (gw-a: sa1, sa2; gw-b: sb1). mosquitto drops a denied QoS 1 publish without
/// telling a 3.1.1 client, so each denial is asserted as absence at a subscriber that has first received a positive
/// control sent after the denied message — the broker handles both in order, so the path demonstrably worked.
/// </summary>
public sealed class BrokerAclTests(BrokerAclTests.Deployment deployment, ITestOutputHelper output) : IClassFixture<BrokerAclTests.Deployment>
{
    private const string Root = Topics.DefaultRoot;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly string _marker = Guid.NewGuid().ToString("N")[..12];

    private int Port => deployment.Broker.Port;

    [Fact]
    public async Task GatewayAccount_PublishesItsOwnStationsTelemetry_TheServerReceivesIt()
    {
        await using var server = await SubscribeAsync(deployment.Server, Topics.AllTelemetry(Root));

        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.Telemetry(Root, "sa2"), _marker);

        await server.WaitForAsync(Topics.Telemetry(Root, "sa2"), _marker, Deadline);
    }

    [Fact]
    public async Task GatewayAccount_PublishesAnotherStationsTelemetryOrStatus_NothingArrives()
    {
        await using var server = await SubscribeAsync(deployment.Server, Root + "/#");

        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.Telemetry(Root, "sb1"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.Telemetry(Root, "unknown"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.StationStatus(Root, "sb1"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.GatewayStatus(Root, "gw-b"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.CommandResult(Root, "sb1"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.Telemetry(Root, "sa1"), "control-" + _marker);

        await server.WaitForAsync(Topics.Telemetry(Root, "sa1"), "control-" + _marker, Deadline);
        Assert.False(server.HasReceived("forged-" + _marker), $"a forged message arrived: {server.Describe()}");
    }

    [Fact]
    public async Task GatewayAccount_PublishesCommandsOrRepairRequests_NothingArrivesEvenForItsOwnStation()
    {
        await using var server = await SubscribeAsync(deployment.Server, Root + "/#");
        await using var gatewayA = await SubscribeAsync(deployment.GatewayA, Topics.Command(Root, "sa1"), Topics.RepairRequest(Root, "gw-a"));
        await using var gatewayB = await SubscribeAsync(deployment.GatewayB, Topics.Command(Root, "sb1"));
        Assert.All(gatewayA.Subscriptions.Concat(gatewayB.Subscriptions), s => Assert.True(s.Succeeded, $"{s.Filter}: refused ({s.ReturnCode:X2})"));

        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.Command(Root, "sa1"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.Command(Root, "sb1"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.RepairRequest(Root, "gw-a"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.Server, Topics.Command(Root, "sa1"), "control-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.Server, Topics.Command(Root, "sb1"), "control-" + _marker);

        await gatewayA.WaitForAsync(Topics.Command(Root, "sa1"), "control-" + _marker, Deadline);
        await gatewayB.WaitForAsync(Topics.Command(Root, "sb1"), "control-" + _marker, Deadline);
        await server.WaitForAsync(Topics.Command(Root, "sb1"), "control-" + _marker, Deadline);
        foreach (var subscriber in new[] { server, gatewayA, gatewayB })
            Assert.False(subscriber.HasReceived("forged-" + _marker), $"a forged command or repair request arrived: {subscriber.Describe()}");
    }

    [Fact]
    public async Task GatewayAccount_SubscribesToAnotherGatewaysTopics_ReceivesNothing()
    {
        // gw-a asks for gw-b's command and repair topics, gw-b's station's telemetry, and everything; its own command
        // topic carries the positive control. mosquitto 2.0 grants such subscriptions and checks the ACL for each
        // message it would deliver, so what counts is what arrives.
        await using var gatewayA = await SubscribeAsync(
            deployment.GatewayA, Topics.Command(Root, "sb1"), Topics.RepairRequest(Root, "gw-b"), Topics.Telemetry(Root, "sb1"), Root + "/#", Topics.Command(Root, "sa1"));
        await using var server = await SubscribeAsync(deployment.Server, Topics.AllTelemetry(Root));

        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.Server, Topics.Command(Root, "sb1"), "foreign-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.Server, Topics.RepairRequest(Root, "gw-b"), "foreign-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayB, Topics.Telemetry(Root, "sb1"), "foreign-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.Server, Topics.Command(Root, "sa1"), "control-" + _marker);

        await server.WaitForAsync(Topics.Telemetry(Root, "sb1"), "foreign-" + _marker, Deadline); // gw-b's telemetry was sent
        await gatewayA.WaitForAsync(Topics.Command(Root, "sa1"), "control-" + _marker, Deadline);
        Assert.False(gatewayA.HasReceived("foreign-" + _marker), $"gw-a read gw-b's topics: {gatewayA.Describe()}");
    }

    [Fact]
    public async Task ServerAccount_PublishesACommand_TheGatewayReceivesItForItsOwnStation()
    {
        await using var gatewayA = await SubscribeAsync(deployment.GatewayA, Topics.Command(Root, "sa2"));

        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.Server, Topics.Command(Root, "sa2"), _marker);

        await gatewayA.WaitForAsync(Topics.Command(Root, "sa2"), _marker, Deadline);
    }

    [Fact]
    public async Task Plans_OnlyTheServerSendsThem_EachGatewayReadsItsOwn_AndAnswersOnlyForItself()
    {
        await using var gatewayA = await SubscribeAsync(deployment.GatewayA, Topics.PlanSet(Root, "gw-a"), Topics.PlanSet(Root, "gw-b"), Topics.ServerTime(Root));
        await using var server = await SubscribeAsync(deployment.Server, Topics.AllPlanApplied(Root), Topics.ServerTime(Root));

        // A gateway's account cannot send a plan set (not even its own) or the server's time; it cannot read gw-b's plans.
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.PlanSet(Root, "gw-a"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayB, Topics.PlanSet(Root, "gw-a"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayB, Topics.ServerTime(Root), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.Server, Topics.PlanSet(Root, "gw-b"), "foreign-" + _marker);
        // Nor answer for another gateway.
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayB, Topics.PlanApplied(Root, "gw-a"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.Server, Topics.PlanSet(Root, "gw-a"), "control-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.Server, Topics.ServerTime(Root), "time-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(Port, deployment.GatewayA, Topics.PlanApplied(Root, "gw-a"), "answer-" + _marker);

        await gatewayA.WaitForAsync(Topics.PlanSet(Root, "gw-a"), "control-" + _marker, Deadline);
        await gatewayA.WaitForAsync(Topics.ServerTime(Root), "time-" + _marker, Deadline);
        await server.WaitForAsync(Topics.PlanApplied(Root, "gw-a"), "answer-" + _marker, Deadline);
        Assert.False(gatewayA.HasReceived("forged-" + _marker), $"a forged plan set or time arrived: {gatewayA.Describe()}");
        Assert.False(gatewayA.HasReceived("foreign-" + _marker), $"gw-a read gw-b's plans: {gatewayA.Describe()}");
        Assert.False(server.HasReceived("forged-" + _marker), $"gw-b answered for gw-a or sent the time: {server.Describe()}");
    }

    [Fact]
    public async Task Accounts_WrongPasswordOrAnonymous_AreRefused()
    {
        Assert.NotEqual(0, await MosquittoPublisher.PublishAsync(Port, null, Topics.Telemetry(Root, "sa1"), _marker));
        Assert.NotEqual(0, await MosquittoPublisher.PublishAsync(Port, deployment.GatewayA with { Password = "wrong" }, Topics.Telemetry(Root, "sa1"), _marker));
        // Another gateway's password does not open gw-a's account.
        Assert.NotEqual(0, await MosquittoPublisher.PublishAsync(Port, deployment.GatewayA with { Password = deployment.GatewayB.Password }, Topics.Telemetry(Root, "sa1"), _marker));
    }

    private Task<TopicSubscriber> SubscribeAsync(MqttAccount account, params string[] filters) =>
        TopicSubscriber.StartAsync(Port, account, new TestLogger(output, account.Username), filters);

    /// <summary>The broker, its accounts and ACL, made once for the class by the deployment commands.</summary>
    public sealed class Deployment : IAsyncLifetime
    {
        private MosquittoBroker? _broker;

        public MqttAccount Server { get; } = new("irrigation-server", "server-" + Guid.NewGuid().ToString("N"));

        public MqttAccount GatewayA { get; } = new("gw-a", "a-" + Guid.NewGuid().ToString("N"));

        public MqttAccount GatewayB { get; } = new("gw-b", "b-" + Guid.NewGuid().ToString("N"));

        public MosquittoBroker Broker => _broker!;

        public async Task InitializeAsync()
        {
            _broker = await MosquittoBroker.StartAsync(
                async directory =>
                {
                    string[] configs =
                    [
                        DeploymentCommands.WriteGatewayConfig(directory, "gw-a", GatewayA, "sa1", "sa2"),
                        DeploymentCommands.WriteGatewayConfig(directory, "gw-b", GatewayB, "sb1"),
                    ];
                    var acl = Path.Combine(directory, "mosquitto.acl");
                    var passwords = Path.Combine(directory, "mosquitto.passwd");
                    await DeploymentCommands.WriteAclAsync(acl, configs);
                    await DeploymentCommands.WritePasswordFileAsync(passwords, Server.Password!, configs);
                    return $"password_file {passwords}\nacl_file {acl}";
                },
                allowAnonymous: false);
        }

        public async Task DisposeAsync()
        {
            if (_broker is not null)
                await _broker.DisposeAsync();
        }
    }
}
