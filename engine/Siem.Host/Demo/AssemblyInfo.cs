using System.Runtime.CompilerServices;

// The demo acceptance test drives DemoRunner in-process.
[assembly: InternalsVisibleTo("Siem.Engine.Tests")]
[assembly: InternalsVisibleTo("Siem.Resilience.Tests")]
[assembly: InternalsVisibleTo("Siem.Api.Tests")]
[assembly: InternalsVisibleTo("Siem.Lineage.Tests")]
