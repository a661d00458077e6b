namespace Siem.Collectors.Config;

/// <summary>A bad agent config file: the message is "file:line:column: key: what is expected, got what".</summary>
public sealed class AgentConfigException(string message, Exception? inner = null) : Exception(message, inner);
