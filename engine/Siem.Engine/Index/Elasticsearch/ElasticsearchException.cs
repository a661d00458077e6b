namespace Siem.Engine.Index.Elasticsearch;

/// <summary>A request to the cluster failed. <see cref="Transient"/> ones (429, 5xx, connection) are retried.</summary>
public sealed class ElasticsearchException : Exception
{
    public bool Transient { get; }
    public int? StatusCode { get; }

    public ElasticsearchException(string message, bool transient, int? statusCode = null, Exception? inner = null)
        : base(message, inner)
    {
        Transient = transient;
        StatusCode = statusCode;
    }

    public ElasticsearchException() { }
    public ElasticsearchException(string message) : base(message) { }
    public ElasticsearchException(string message, Exception innerException) : base(message, innerException) { }
}
