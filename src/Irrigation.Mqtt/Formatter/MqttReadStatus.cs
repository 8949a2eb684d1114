namespace Irrigation.Mqtt.Formatter;

/// <summary>Outcome of <see cref="MqttPacketFormatter.TryRead"/>.</summary>
public enum MqttReadStatus
{
    /// <summary>Not a whole packet yet: nothing consumed, read more and try again.</summary>
    Incomplete,

    /// <summary>One packet parsed; <c>consumed</c> is just past it.</summary>
    Complete,

    /// <summary>The bytes break MQTT 3.1.1 or exceed the size limit; the stream is out of step and the connection must close.</summary>
    Malformed,
}
