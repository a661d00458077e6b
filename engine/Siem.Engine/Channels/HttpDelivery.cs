using System.Net;

namespace Siem.Engine.Channels;

/// <summary>Shared HTTP POST for webhook-style channels: maps outcomes to <see cref="AlertDeliveryException"/> without echoing the URL.</summary>
internal static class HttpDelivery
{
    /// <summary>POSTs a UTF-8 JSON body.</summary>
    public static Task PostJsonAsync(HttpClient http, string channel, Uri url, byte[] json, Action<HttpRequestMessage>? configure, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(json);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return PostAsync(http, channel, url, content, configure, cancellationToken);
    }

    public static async Task PostAsync(HttpClient http, string channel, Uri url, HttpContent content, Action<HttpRequestMessage>? configure, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        configure?.Invoke(request);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            // ex.Message can contain the host; the URL path (the secret part of a webhook URL) is not in it.
            throw new AlertDeliveryException($"{channel}: request failed: {ex.HttpRequestError}", transient: true, inner: ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AlertDeliveryException($"{channel}: timed out after {http.Timeout.TotalSeconds:0} s", transient: true, inner: ex);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode) return;
            int code = (int)response.StatusCode;
            string body = await ReadShortAsync(response, cancellationToken).ConfigureAwait(false);
            bool transient = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || code >= 500;
            throw new AlertDeliveryException($"{channel}: HTTP {code} {response.ReasonPhrase}{(body.Length > 0 ? ": " + body : "")}", transient, code);
        }
    }

    private static async Task<string> ReadShortAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        text = text.Replace('\n', ' ').Replace('\r', ' ').Trim();
        return text.Length > 200 ? text[..200] : text;
    }
}
