using System.Collections.Concurrent;

namespace Siem.Host.Server;

/// <summary>What roles offer each other (e.g. the ledger role registers an <c>ILineageRecorder</c> the engine role uses), keyed by type.</summary>
internal sealed class ServerServices
{
    private readonly ConcurrentDictionary<Type, object> _services = new();

    /// <summary>Registers <paramref name="service"/>; a second registration of the same type is a wiring mistake and throws.</summary>
    public void Add<T>(T service) where T : class
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!_services.TryAdd(typeof(T), service))
            throw new InvalidOperationException($"a {typeof(T).Name} is already registered by another role");
    }

    public T? Get<T>() where T : class => _services.TryGetValue(typeof(T), out var s) ? (T)s : null;
}
