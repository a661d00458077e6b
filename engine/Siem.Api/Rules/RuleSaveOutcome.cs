namespace Siem.Api.Rules;

/// <summary>Whether an upload was stored, and if not why.</summary>
public enum RuleSaveOutcome
{
    Saved,
    Invalid,
    Conflict,
    NotFound,
}
