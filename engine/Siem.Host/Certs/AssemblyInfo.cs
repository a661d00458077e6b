using System.Runtime.CompilerServices;

// The API's HTTPS tests issue their certificates with the same PkiInitializer as `siem certs init`.
[assembly: InternalsVisibleTo("Siem.Api.Tests")]
