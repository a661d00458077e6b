namespace Siem.Nats.JetStream;

/// <summary>What a key-value entry records (the <c>KV-Operation</c> header; absent = put).</summary>
public enum KvOperation
{
    Put,
    Delete,
    Purge,
}
