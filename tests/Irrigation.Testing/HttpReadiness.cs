using System.Net;

namespace Irrigation.Testing;

/// <summary>Polls an HTTP endpoint of a starting server until it answers the expected status.</summary>
public static class HttpReadiness
{
    public static async Task WaitAsync(HttpClient http, string path, HttpStatusCode expected, TimeSpan timeout, string what, Func<ManagedProcess?> process)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (process() is { HasExited: true } exited)
                throw new InvalidOperationException($"{what} exited with code {exited.ExitCode} while starting. Output:\n{exited.Tail()}");
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var response = await http.GetAsync(new Uri(path, UriKind.Relative), cts.Token);
                if (response.StatusCode == expected)
                    return;
                last = $"status {(int)response.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                last = ex.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{what} did not answer /{path} with {(int)expected} within {timeout.TotalSeconds:0} s (last: {last}). Output:\n{process()?.Tail()}");
    }
}
