using Siem.Engine.Alerts;

namespace Siem.Api.Live;

/// <summary>An alert on the live feed: new, or an update of one already shown (a folded repeat with a higher count).</summary>
public readonly record struct LiveAlert(AlertDocument Alert, bool IsNew);
