namespace Irrigation.Mqtt.Client;

/// <summary>
/// Packet identifiers 1..65535 (§2.3.1), handed out round-robin and skipping those still in use (unacknowledged
/// QoS 1 publishes, SUBSCRIBE and UNSUBSCRIBE waiting for their answer). Thread-safe.
/// </summary>
internal sealed class MqttPacketIdPool
{
    private readonly bool[] _inUse = new bool[ushort.MaxValue + 1];
    private readonly Lock _lock = new();
    private ushort _last;
    private int _count;

    public int InUse
    {
        get
        {
            lock (_lock)
                return _count;
        }
    }

    public bool TryAllocate(out ushort packetId)
    {
        lock (_lock)
        {
            for (var i = 0; i < ushort.MaxValue; i++)
            {
                _last = _last == ushort.MaxValue ? (ushort)1 : (ushort)(_last + 1);
                if (_inUse[_last])
                    continue;
                _inUse[_last] = true;
                _count++;
                packetId = _last;
                return true;
            }
        }

        packetId = 0;
        return false;
    }

    public ushort Allocate() =>
        TryAllocate(out var packetId) ? packetId : throw new MqttClientException("All 65535 packet identifiers are in use (§2.3.1); too many unacknowledged requests.");

    public void Release(ushort packetId)
    {
        lock (_lock)
        {
            if (packetId == 0 || !_inUse[packetId])
                return;
            _inUse[packetId] = false;
            _count--;
        }
    }
}
