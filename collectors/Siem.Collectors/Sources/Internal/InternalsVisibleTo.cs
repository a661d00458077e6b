using System.Runtime.CompilerServices;

// The splitter and file identity are tested directly (allocation bounds, UTF-8 cuts).
[assembly: InternalsVisibleTo("Siem.Collectors.Tests")]
