namespace Siem.Engine.Search;

/// <summary>A query that cannot be parsed; <see cref="Position"/> is the 1-based character position of the problem.</summary>
public sealed class SearchQueryException : Exception
{
    public int Position { get; }

    public SearchQueryException(string message, int position)
        : base($"bad query at position {position}: {message}") => Position = position;

    public SearchQueryException() { }
    public SearchQueryException(string message) : base(message) { }
    public SearchQueryException(string message, Exception innerException) : base(message, innerException) { }
}
