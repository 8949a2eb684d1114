namespace Irrigation.Mqtt.Tests.Peers;

/// <summary>One mosquitto shared by the tests of a class (each test uses its own topics and client ids).</summary>
public sealed class MosquittoFixture : IAsyncLifetime
{
    private MosquittoBroker? _broker;

    internal MosquittoBroker Broker => _broker ?? throw new InvalidOperationException("mosquitto did not start.");

    public async Task InitializeAsync() => _broker = await MosquittoBroker.StartAsync();

    public async Task DisposeAsync()
    {
        if (_broker is not null)
            await _broker.DisposeAsync();
    }
}
