namespace Siem.Host.Certs;

/// <summary>One file <c>siem certs init</c> wrote (or found and kept); <paramref name="Secret"/> files are mode 0600.</summary>
internal sealed record PkiFile(string Path, string Description, bool Written, bool Secret = false);
