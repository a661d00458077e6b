namespace Siem.Engine.Channels;

/// <summary>SMTP submission settings for <see cref="EmailChannel"/>.</summary>
public sealed record EmailOptions
{
    public required string Host { get; init; }
    public int Port { get; init; } = 25;
    /// <summary>STARTTLS after EHLO (port 587 submission).</summary>
    public bool StartTls { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }
    public required string From { get; init; }
    public IReadOnlyList<string> To { get; init; } = [];
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}
