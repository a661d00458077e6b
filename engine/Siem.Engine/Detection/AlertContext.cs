using Siem.Core.Events;

namespace Siem.Engine.Detection;

/// <summary>The few fields of a matched event worth putting in front of the person on call.</summary>
public static class AlertContext
{
    public static readonly IReadOnlyList<string> FieldNames =
    [
        EcsFields.HostName, EcsFields.SourceIp, EcsFields.UserName, EcsFields.UserTargetName, EcsFields.EventAction,
        EcsFields.EventOutcome, EcsFields.ProcessName, EcsFields.ProcessExecutable, EcsFields.ProcessCommandLine,
        EcsFields.DestinationIp, EcsFields.GroupName, "Image", "CommandLine", "User",
    ];

    public static Dictionary<string, string> From(LogEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in FieldNames)
        {
            if (e.Get(name) is { Length: > 0 } v) fields[name] = v.Length > 512 ? v[..512] : v;
        }
        return fields;
    }
}
