namespace Siem.Rules;

/// <summary>
/// Maps a Sigma taxonomy field name to the event field(s) that carry it for a logsource.
/// Applied once when a rule set is compiled; a detection item matches when any candidate field matches.
/// Return the field itself when there is no mapping.
/// </summary>
public interface IFieldMapper
{
    IReadOnlyList<string> Map(SigmaLogsource logsource, string sigmaField);
}
