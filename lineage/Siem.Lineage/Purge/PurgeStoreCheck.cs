namespace Siem.Lineage.Purge;

/// <summary>A verification scan of one store.</summary>
/// <param name="RawValueHits">Places still holding the raw value (-1 = not scanned: the value was not given).</param>
/// <param name="SubjectIdHits">Places still holding the subject's pseudonymous id or its records.</param>
/// <param name="Where">Where the hits are (file, table, stream and sequence), never the value itself.</param>
public sealed record PurgeStoreCheck(string Store, long RawValueHits, long SubjectIdHits, IReadOnlyList<string> Where)
{
    public bool Clean => RawValueHits <= 0 && SubjectIdHits == 0;
}
