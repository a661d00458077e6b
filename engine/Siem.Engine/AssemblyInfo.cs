using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Siem.Engine.Tests")]
