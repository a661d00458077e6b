namespace Siem.Rules.Pipelines;

/// <summary>A field-mapping pipeline file that cannot be used; the message starts with file:line:column.</summary>
public sealed class PipelineLoadException : Exception
{
    public PipelineLoadException(string path, int line, int column, string message)
        : base($"{path}:{line}:{column}: {message}")
    {
        Path = path;
        Line = line;
        Column = column;
    }

    public PipelineLoadException()
    {
        Path = "";
    }

    public PipelineLoadException(string message) : base(message)
    {
        Path = "";
    }

    public PipelineLoadException(string message, Exception innerException) : base(message, innerException)
    {
        Path = "";
    }

    public string Path { get; }

    public int Line { get; }

    public int Column { get; }
}
