namespace Siem.Engine.Channels;

/// <summary>What a delivery tells a channel about an alert.</summary>
public enum AlertNotice
{
    /// <summary>The alert is new to this channel.</summary>
    New,
    /// <summary>More repeats folded into an alert the channel already has (its count grew).</summary>
    Update,
    /// <summary>The alert was closed (triage) or its suppression window ended.</summary>
    Resolve,
}
