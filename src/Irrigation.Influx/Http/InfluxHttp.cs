using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Irrigation.Influx.Http;

/// <summary>The HTTP plumbing both clients share: one pooled handler, authentication, URLs.</summary>
internal static class InfluxHttp
{
    private static readonly TimeSpan MaxConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A client over a <see cref="SocketsHttpHandler"/> with pooled keep-alive connections (recycled every few minutes
    /// so a DNS change is noticed), no automatic decompression and no proxy. <paramref name="handler"/> replaces it in tests.
    /// </summary>
    public static HttpClient CreateClient(TimeSpan timeout, HttpMessageHandler? handler)
    {
        var inner = handler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = timeout < MaxConnectTimeout ? timeout : MaxConnectTimeout,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        return new HttpClient(inner, disposeHandler: handler is null) { Timeout = timeout };
    }

    /// <summary>Sets <c>Authorization</c>: <c>Token ...</c> for a token, basic auth for a user (unless sent in the query).</summary>
    public static void Authenticate(HttpClient client, string? username, string? password, string? token, bool credentialsInQuery)
    {
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        else if (username is not null && !credentialsInQuery)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
    }

    /// <summary><paramref name="baseUrl"/> + <paramref name="path"/> + the non-null query parameters, percent-encoded.</summary>
    public static Uri Build(Uri baseUrl, string path, IEnumerable<KeyValuePair<string, string?>> query)
    {
        var builder = new StringBuilder(baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/')).Append('/').Append(path);
        var separator = '?';
        foreach (var (key, value) in query)
        {
            if (value is null)
                continue;
            builder.Append(separator).Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        return new Uri(builder.ToString());
    }
}
