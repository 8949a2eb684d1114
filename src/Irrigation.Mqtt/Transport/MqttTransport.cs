using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Irrigation.Mqtt.Client;

namespace Irrigation.Mqtt.Transport;

/// <summary>
/// Opens the byte stream a session runs on: TCP with Nagle off, optionally wrapped in TLS. Failures surface as
/// <see cref="MqttConnectException"/> with <see cref="MqttConnectReturnCode.TransportFailure"/> and a message that
/// names the endpoint and what went wrong.
/// </summary>
internal static class MqttTransport
{
    public static async Task<Stream> ConnectAsync(MqttClientOptions options, CancellationToken cancellationToken)
    {
        var endpoint = $"{options.Host}:{options.Port}";
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, cancellationToken);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Tls is null)
                return stream;
            return await AuthenticateAsync(stream, options, endpoint, cancellationToken);
        }
        catch (SocketException ex)
        {
            await DisposeAsync(stream, socket);
            throw new MqttConnectException(MqttConnectReturnCode.TransportFailure, $"could not connect to {endpoint}: {ex.Message} ({ex.SocketErrorCode})", ex);
        }
        catch
        {
            await DisposeAsync(stream, socket);
            throw;
        }
    }

    private static async Task<Stream> AuthenticateAsync(Stream inner, MqttClientOptions options, string endpoint, CancellationToken cancellationToken)
    {
        var tls = options.Tls!;
        var validator = new MqttServerCertificateValidator(tls.CaCertificatePath);
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            var authentication = new SslClientAuthenticationOptions
            {
                TargetHost = tls.TargetHost ?? options.Host,
                RemoteCertificateValidationCallback = validator.Validate,
                ClientCertificates = LoadClientCertificate(tls),
            };
            await ssl.AuthenticateAsClientAsync(authentication, cancellationToken);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync();
            var reason = validator.Failure ?? ex.Message;
            throw new MqttConnectException(MqttConnectReturnCode.TransportFailure, $"TLS handshake with {endpoint} failed: {reason}", ex);
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }
    }

    private static X509CertificateCollection? LoadClientCertificate(MqttTlsOptions tls)
    {
        if (tls.ClientCertificatePath is null)
            return null;
        try
        {
            return [X509Certificate2.CreateFromPemFile(tls.ClientCertificatePath, tls.ClientKeyPath)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new MqttConnectException(MqttConnectReturnCode.TransportFailure, $"could not load the client certificate {tls.ClientCertificatePath} / key {tls.ClientKeyPath}: {ex.Message}", ex);
        }
    }

    private static async ValueTask DisposeAsync(Stream? stream, Socket socket)
    {
        if (stream is not null)
            await stream.DisposeAsync();
        else
            socket.Dispose();
    }
}
