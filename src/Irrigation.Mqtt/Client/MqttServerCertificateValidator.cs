using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Irrigation.Mqtt.Client;

/// <summary>
/// Checks the broker's certificate. With a CA file, the chain must end in one of its certificates (X509Chain with a
/// custom trust store, no revocation check: a private CA rarely publishes CRLs); without one, the system store
/// decides. The host name must match either way. <see cref="Failure"/> keeps the reason for the error message.
/// </summary>
internal sealed class MqttServerCertificateValidator
{
    private readonly string? _caPath;
    private volatile string? _failure;

    public MqttServerCertificateValidator(string? caPath) => _caPath = caPath;

    public string? Failure => _failure;

    public bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return Fail("the broker sent no certificate");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return Fail($"the broker's certificate ({certificate.Subject}) does not name the host it was reached by");
        if (_caPath is null)
            return errors == SslPolicyErrors.None || Fail($"the broker's certificate ({certificate.Subject}) is not trusted by the system store: {Describe(chain)}");

        X509Certificate2Collection authorities;
        try
        {
            authorities = [];
            authorities.ImportFromPemFile(_caPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return Fail($"could not read the CA file {_caPath}: {ex.Message}");
        }

        if (authorities.Count == 0)
            return Fail($"the CA file {_caPath} holds no PEM certificate");

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.CustomTrustStore.AddRange(authorities);
        if (chain is not null)
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        using var leaf = new X509Certificate2(certificate);
        try
        {
            return custom.Build(leaf) || Fail($"the broker's certificate ({leaf.Subject}, issued by {leaf.Issuer}) is not signed by the CA in {_caPath}: {Describe(custom)}");
        }
        finally
        {
            foreach (var element in custom.ChainElements)
                element.Certificate.Dispose();
            foreach (var authority in authorities)
                authority.Dispose();
        }
    }

    private static string Describe(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0
            ? "no chain status"
            : string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}"));

    private bool Fail(string reason)
    {
        _failure = reason;
        return false;
    }
}
