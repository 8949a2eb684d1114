namespace Irrigation.Mqtt.Client;

/// <summary>Base of every failure the client reports.</summary>
public class MqttClientException : Exception
{
    public MqttClientException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>CONNACK return codes (MQTT 3.1.1 §3.2.2.3).</summary>
public enum MqttConnectReturnCode : byte
{
    Accepted = 0,
    UnacceptableProtocolVersion = 1,
    IdentifierRejected = 2,
    ServerUnavailable = 3,
    BadUsernameOrPassword = 4,
    NotAuthorized = 5,

    /// <summary>Not a CONNACK code: the transport failed or timed out before a CONNACK arrived.</summary>
    TransportFailure = 255,
}

/// <summary>The broker refused the connection, or it could not be made.</summary>
public sealed class MqttConnectException : MqttClientException
{
    public MqttConnectException(MqttConnectReturnCode code, string message, Exception? inner = null)
        : base(message, inner) => ReturnCode = code;

    public MqttConnectReturnCode ReturnCode { get; }
}

/// <summary>The peer broke the protocol (malformed packet, packet too large, unexpected packet type).</summary>
public sealed class MqttProtocolException : MqttClientException
{
    public MqttProtocolException(string message)
        : base(message)
    {
    }
}
