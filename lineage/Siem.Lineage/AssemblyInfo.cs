using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Siem.Lineage.Tests")]
