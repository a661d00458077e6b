namespace Siem.Host.Demo;

internal sealed partial class DemoRunner
{
    /// <summary>The files to tail (see <see cref="DemoInputs"/>); null after printing why the inputs cannot be shipped.</summary>
    private List<string>? PrepareInputs(IReadOnlyList<string> given, string dataDir)
    {
        // Converted copies are made afresh each run: the originals may have changed since.
        var stage = Path.Combine(dataDir, "demo-inputs");
        if (Directory.Exists(stage)) Directory.Delete(stage, recursive: true);
        List<DemoInputs.Prepared> prepared;
        try
        {
            prepared = DemoInputs.Prepare(given, stage, Err);
        }
        catch (DemoInputs.InputException ex)
        {
            Err($"siem demo: {ex.Message}");
            return null;
        }
        catch (IOException ex)
        {
            Err($"siem demo: cannot read the inputs: {ex.Message}");
            return null;
        }
        var converted = prepared.Where(p => p.Conversion != null).ToList();
        foreach (var p in converted.Take(10))
        {
            Err($"demo: {p.Given}: {p.Conversion}: shipping the converted copy {p.Path}");
        }
        if (converted.Count > 10) Err($"demo: ... and {converted.Count - 10} more converted copies under {stage}");
        return [.. prepared.Select(p => p.Path).Distinct(StringComparer.Ordinal)];
    }
}
