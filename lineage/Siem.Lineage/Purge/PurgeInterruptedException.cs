namespace Siem.Lineage.Purge;

/// <summary>A purge stopped on purpose after a step (tests simulate a crash with it); the job resumes from the next step.</summary>
public sealed class PurgeInterruptedException : Exception
{
    public PurgeInterruptedException() { }

    public PurgeInterruptedException(string message) : base(message) { }

    public PurgeInterruptedException(string message, Exception inner) : base(message, inner) { }
}
