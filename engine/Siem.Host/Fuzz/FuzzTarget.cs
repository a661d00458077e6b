namespace Siem.Host.Fuzz;

/// <summary>
/// Something fuzzed: each <see cref="RunOne"/> makes one input from the seeded mutator, runs it through the code under
/// test and throws <see cref="FuzzContractException"/> when a promise is broken. Any other exception escaping
/// <see cref="RunOne"/> is itself a finding (only documented error types may come out, and targets catch those).
/// </summary>
internal abstract class FuzzTarget
{
    private readonly Dictionary<string, long> _counters = new(StringComparer.Ordinal);

    public abstract string Name { get; }
    public abstract string Description { get; }

    /// <summary>The input of the iteration in progress (reported with a finding or a hang).</summary>
    public string CurrentInput { get; protected set; } = "";

    /// <summary>What the inputs did (parsed, rejected with a documented error, ...), for the report.</summary>
    public IReadOnlyDictionary<string, long> Counters => _counters;

    public abstract void RunOne(FuzzMutator mutator);

    protected void Count(string name) => _counters[name] = _counters.GetValueOrDefault(name) + 1;

    protected static T Pick<T>(FuzzMutator m, IReadOnlyList<T> items) => items[m.Random.Next(items.Count)];
}

/// <summary>A fuzzed input broke a documented promise of the code under test.</summary>
internal sealed class FuzzContractException(string message) : Exception(message);
