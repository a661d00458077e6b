using System.Buffers;
using System.Text.Json;

namespace Siem.Nats.Internal;

/// <summary>Builds the CONNECT options JSON (credentials included; the result is never logged).</summary>
internal static class ConnectJson
{
    public static byte[] Build(NatsOpts opts, NatsServerInfo info, bool tls)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteBoolean("verbose", false);
            w.WriteBoolean("pedantic", false);
            w.WriteBoolean("tls_required", tls);
            w.WriteString("name", opts.Name);
            w.WriteString("lang", ".NET");
            w.WriteString("version", "1.0.0");
            w.WriteNumber("protocol", 1);
            w.WriteBoolean("echo", true);
            w.WriteBoolean("headers", true);
            w.WriteBoolean("no_responders", true);
            if (opts.Username is not null)
            {
                w.WriteString("user", opts.Username);
                w.WriteString("pass", opts.Password ?? "");
            }
            if (opts.Token is not null) w.WriteString("auth_token", opts.Token);
            var seed = LoadSeed(opts);
            if (seed is not null)
            {
                w.WriteString("nkey", NKeys.PublicKeyFromSeed(seed));
                if (!string.IsNullOrEmpty(info.Nonce))
                {
                    var sig = NKeys.Sign(seed, System.Text.Encoding.UTF8.GetBytes(info.Nonce));
                    w.WriteString("sig", Convert.ToBase64String(sig).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
                }
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static string? LoadSeed(NatsOpts opts)
    {
        if (!string.IsNullOrWhiteSpace(opts.NKeySeed)) return opts.NKeySeed.Trim();
        if (opts.NKeySeedFile is null) return null;
        string text;
        try
        {
            text = File.ReadAllText(opts.NKeySeedFile);
        }
        catch (IOException e)
        {
            throw new NatsConnectionException($"cannot read NKey seed file '{opts.NKeySeedFile}': {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new NatsConnectionException($"cannot read NKey seed file '{opts.NKeySeedFile}': {e.Message}", e);
        }
        // A bare seed, or a .creds-style file: take the first line that looks like a user seed.
        foreach (var line in text.Split('\n'))
        {
            var l = line.Trim();
            if (l.StartsWith("SU", StringComparison.Ordinal)) return l;
        }
        throw new NatsConnectionException($"NKey seed file '{opts.NKeySeedFile}' holds no user seed (a line starting with 'SU')");
    }
}
