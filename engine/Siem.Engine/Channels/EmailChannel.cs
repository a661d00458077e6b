using System.Net;
using System.Net.Mail;
using System.Text;
using Siem.Engine.Alerts;

namespace Siem.Engine.Channels;

/// <summary>
/// Email over SMTP with the BCL <see cref="SmtpClient"/> (still shipped and fine for plain submission; chosen over a
/// hand-written client because it handles EHLO, STARTTLS, AUTH and dot-stuffing). One plain-text message per alert.
/// 4xx replies and connection failures are retried; 5xx replies (bad recipient, refused) are permanent.
/// The password is never logged.
/// </summary>
public sealed class EmailChannel : IAlertChannel
{
    private readonly EmailOptions _options;

    public EmailChannel(string name, EmailOptions options)
    {
        Name = name;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.To.Count == 0) throw new ArgumentException($"email channel '{name}': no recipient (SIEM_SMTP_TO)", nameof(options));
    }

    public string Name { get; }

    public async Task DeliverAsync(AlertDocument alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        using var message = Message(alert, _options);
        using var client = new SmtpClient(_options.Host, _options.Port)
        {
            EnableSsl = _options.StartTls,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            Timeout = (int)_options.Timeout.TotalMilliseconds,
        };
        if (!string.IsNullOrEmpty(_options.Username)) client.Credentials = new NetworkCredential(_options.Username, _options.Password);
        try
        {
            await client.SendMailAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpException ex)
        {
            int code = (int)ex.StatusCode;
            bool transient = code is < 500 or 0 || ex.StatusCode == SmtpStatusCode.GeneralFailure;
            throw new AlertDeliveryException($"{Name}: SMTP {code} {ex.StatusCode}: {ex.Message}", transient, code, ex);
        }
    }

    public static MailMessage Message(AlertDocument a, EmailOptions options)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(options);
        var body = new StringBuilder()
            .AppendLine(a.Title)
            .AppendLine()
            .AppendLine($"Level:      {a.Level}")
            .AppendLine($"Rule:       {a.RuleId} ({a.Kind})")
            .AppendLine($"Count:      {a.Count}")
            .AppendLine($"First seen: {AlertJson.FormatInstant(a.FirstSeen)}")
            .AppendLine($"Last seen:  {AlertJson.FormatInstant(a.LastSeen)}");
        foreach (var kv in a.GroupBy) body.AppendLine($"{kv.Key}: {kv.Value}");
        foreach (var kv in a.Fields.Where(f => !a.GroupBy.ContainsKey(f.Key))) body.AppendLine($"{kv.Key}: {kv.Value}");
        if (a.Tags.Count > 0) body.AppendLine($"Tags:       {string.Join(", ", a.Tags)}");
        if (a.Description != null) body.AppendLine().AppendLine(a.Description);
        body.AppendLine().AppendLine($"Alert id: {a.AlertId}");
        var message = new MailMessage
        {
            From = new MailAddress(options.From),
            Subject = $"[SIEM {a.Level.ToUpperInvariant()}] {a.Title}",
            Body = body.ToString().ReplaceLineEndings("\r\n"),
            BodyEncoding = Encoding.UTF8,
            // Readable in the raw message and safe over 7-bit relays (non-ASCII in user names and commands is common).
            BodyTransferEncoding = System.Net.Mime.TransferEncoding.QuotedPrintable,
            SubjectEncoding = Encoding.UTF8,
        };
        foreach (var to in options.To) message.To.Add(to);
        message.Headers.Add("X-Siem-Alert-Id", a.AlertId);
        return message;
    }
}
