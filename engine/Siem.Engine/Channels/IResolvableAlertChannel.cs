using Siem.Engine.Alerts;

namespace Siem.Engine.Channels;

/// <summary>A channel that can close what it opened for an alert (PagerDuty resolve with the dedup_key, a webhook "resolve" event).</summary>
public interface IResolvableAlertChannel : IAlertChannel
{
    Task ResolveAsync(AlertDocument alert, CancellationToken cancellationToken = default);
}
