namespace Siem.Collectors.Sources;

/// <summary>
/// A source with the operator's <c>module:</c> label (config <c>sources[].module</c>): stamps it on every line it
/// yields, so the parser gives the records that <c>event.module</c>. Everything else is the wrapped source's.
/// </summary>
internal sealed class ModuleLabelledSource(ILogSource inner, string module) : ILogSource
{
    public ILogSource Inner => inner;

    public string Module => module;

    public string Name => inner.Name;

    public async IAsyncEnumerable<RawLine> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var line in inner.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return line with { Module = module };
        }
    }

    public ValueTask CommitAsync(RawLine upTo, CancellationToken cancellationToken = default) => inner.CommitAsync(upTo, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
