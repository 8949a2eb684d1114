using Irrigation.Mqtt.Packets;

namespace Irrigation.Mqtt.Client;

/// <summary>
/// A publish from <see cref="MqttClient.PublishAsync"/>: queued, then (QoS 1) in flight with a packet id until its
/// PUBACK. <see cref="Sequence"/> keeps the original order for the resend after a reconnect.
/// </summary>
internal sealed class PendingPublish
{
    public PendingPublish(MqttApplicationMessage message) => Message = message;

    public MqttApplicationMessage Message { get; }

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ushort PacketId { get; set; }

    public long Sequence { get; set; }

    public MqttPublishPacket ToPacket(bool duplicate) =>
        new(Message.Topic, Message.Payload, Message.QualityOfService, Message.Retain, duplicate, PacketId);
}
