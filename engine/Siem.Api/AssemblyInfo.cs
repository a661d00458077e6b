using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Siem.Api.Tests")]
