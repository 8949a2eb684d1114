namespace Irrigation.Mqtt.Client;

/// <summary>Base of every failure the client reports.</summary>
public class MqttClientException : Exception
{
    public MqttClientException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>
/// Why the broker refused a connection: the CONNACK reason codes of MQTT 5.0 §3.2.2.2. An MQTT 3.1.1 refusal
/// (§3.2.2.3, codes 1–5) arrives translated by MQTTnet into the MQTT 5 code of the same meaning.
/// </summary>
public enum MqttConnectReturnCode : byte
{
    Accepted = 0,
    UnspecifiedError = 0x80,
    MalformedPacket = 0x81,
    ProtocolError = 0x82,
    ImplementationSpecificError = 0x83,
    UnsupportedProtocolVersion = 0x84,
    IdentifierRejected = 0x85,
    BadUsernameOrPassword = 0x86,
    NotAuthorized = 0x87,
    ServerUnavailable = 0x88,
    ServerBusy = 0x89,
    Banned = 0x8A,
    BadAuthenticationMethod = 0x8C,
    TopicNameInvalid = 0x90,
    PacketTooLarge = 0x95,
    QuotaExceeded = 0x97,
    PayloadFormatInvalid = 0x99,
    RetainNotSupported = 0x9A,
    QoSNotSupported = 0x9B,
    UseAnotherServer = 0x9C,
    ServerMoved = 0x9D,
    ConnectionRateExceeded = 0x9F,

    /// <summary>Not a CONNACK code: the transport failed or timed out before a CONNACK arrived.</summary>
    TransportFailure = 0xFF,
}

/// <summary>The broker refused the connection, or it could not be made.</summary>
public sealed class MqttConnectException : MqttClientException
{
    public MqttConnectException(MqttConnectReturnCode code, string message, Exception? inner = null)
        : base(message, inner) => ReturnCode = code;

    public MqttConnectReturnCode ReturnCode { get; }
}

/// <summary>The broker answered a publish with a failure reason code (MQTT 5 PUBACK, §3.4.2.1), e.g. NotAuthorized when an ACL forbids the topic.</summary>
public sealed class MqttPublishRefusedException : MqttClientException
{
    public MqttPublishRefusedException(string topic, int reasonCode, string reason)
        : base($"The broker refused the publish to \"{topic}\": {reason} (0x{reasonCode:X2}).")
    {
        Topic = topic;
        ReasonCode = reasonCode;
    }

    public string Topic { get; }

    public int ReasonCode { get; }
}
