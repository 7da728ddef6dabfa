// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;

namespace PvRing.Samples;

/// <summary>
/// The ring file sidecar (docs/protocol-events.md): <c>&lt;ring name&gt;.evtchn</c> in the ring's host directory,
/// two lines <c>frontend-id=&lt;domid&gt;</c> and <c>event-channel=&lt;port&gt;</c> (xenstore's key names). The C# front
/// writes it, 0600, under a temporary name renamed into place, before it publishes the ring file, so a back that
/// sees the ring file also sees the sidecar, or knows the front has none (a C front, which polls).
/// </summary>
internal static class RingSidecar
{
    public const string Suffix = ".evtchn";

    public static string NameFor(string ringName) => ringName + Suffix;

    /// <summary>Writes the sidecar; false when it cannot (name too long, or the ring exists: it is another front's).</summary>
    public static bool TryPublish(HostDirectory host, string ringName, int frontDomainId, int port)
    {
        string name = NameFor(ringName);
        if (name.Length > HostDirectory.MaxNameLength || host.Exists(ringName))
        {
            return false;
        }

        string path = host.GetFilePath(name);
        string temporary = Path.Combine(host.Path, $".{name}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // 0600, as every file of the host directory: other users get nothing.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temporary, options))
        {
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"frontend-id={frontDomainId}\nevent-channel={port}\n"));
        }

        // A sidecar left by a front that crashed is replaced; the ring file itself was checked to be absent above.
        File.Move(temporary, path, overwrite: true);
        return true;
    }

    /// <summary>Reads the sidecar of <paramref name="ringName"/>; false when there is none or it is malformed.</summary>
    public static bool TryRead(HostDirectory host, string ringName, out int frontDomainId, out int port)
    {
        frontDomainId = 0;
        port = 0;
        string name = NameFor(ringName);
        if (name.Length > HostDirectory.MaxNameLength || !host.Exists(name))
        {
            return false;
        }

        bool haveDomain = false;
        bool havePort = false;
        foreach (string line in File.ReadLines(host.GetFilePath(name)))
        {
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                return false;
            }

            string value = line[(equals + 1)..];
            switch (line[..equals])
            {
                case "frontend-id":
                    haveDomain = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out frontDomainId);
                    break;
                case "event-channel":
                    havePort = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port > 0;
                    break;
            }
        }

        return haveDomain && havePort;
    }

    public static void Delete(HostDirectory host, string ringName)
    {
        string name = NameFor(ringName);
        if (name.Length <= HostDirectory.MaxNameLength)
        {
            host.Delete(name);
        }
    }
}
