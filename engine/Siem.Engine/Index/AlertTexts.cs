using Siem.Engine.Alerts;

namespace Siem.Engine.Index;

/// <summary>
/// The texts of an alert that can hold a person's value: its group-by and key field values, title and description.
/// What a purge looks for in alerts, redacts in them, and what Elasticsearch indexes for that lookup (<c>siem.values</c>).
/// </summary>
internal static class AlertTexts
{
    public static IEnumerable<string> Of(AlertDocument alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return alert.GroupBy.Values.Concat(alert.Fields.Values).Append(alert.Title).Append(alert.Description ?? "")
            .Where(v => v.Length > 0).Distinct(StringComparer.Ordinal);
    }
}
