namespace Siem.Host.Server.Config;

/// <summary>The server config file is unreadable or invalid; the message names file:line:column, the key and what is expected.</summary>
internal sealed class ServerConfigException(string message, Exception? inner = null) : Exception(message, inner);
