using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.FileProviders;

namespace Siem.Api;

/// <summary>The web console: static files embedded in this assembly (wwwroot/), served at <c>/</c>.</summary>
internal static class ConsoleFiles
{
    public static void Use(WebApplication app)
    {
        var files = new EmbeddedFileProvider(typeof(ConsoleFiles).Assembly, typeof(ConsoleFiles).Assembly.GetName().Name + ".wwwroot");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "no-cache",
        });
    }
}
