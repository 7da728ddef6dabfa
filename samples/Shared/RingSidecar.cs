// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;

namespace PvRing.Samples;

/// <summary>
/// The ring file sidecar (docs/protocol-events.md): <c>&lt;ring name&gt;.evtchn</c> in the ring's host directory,
/// three lines <c>version=1</c>, <c>frontend-id=&lt;domid&gt;</c> and <c>event-channel=&lt;port&gt;</c> (xenstore's key
/// names). The version is the ring-file mode's own: the ring file keeps Xen's byte layout (a C peer on <c>ring.h</c>
/// has no sidecar), so what this mode adds is versioned here. The C# front
/// writes it, 0600, under a temporary name renamed into place, before it publishes the ring file, so a back that
/// sees the ring file also sees the sidecar, or knows the front has none (a C front, which polls).
/// </summary>
internal static class RingSidecar
{
    public const string Suffix = ".evtchn";

    /// <summary>The sidecar format this program writes and reads.</summary>
    public const int Version = 1;

    /// <summary>A sidecar is three short lines; anything larger is not one.</summary>
    private const int MaxLength = 256;

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
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"version={Version}\nfrontend-id={frontDomainId}\nevent-channel={port}\n"));
        }

        // A sidecar left by a front that crashed is replaced; the ring file itself was checked to be absent above.
        File.Move(temporary, path, overwrite: true);
        return true;
    }

    /// <summary>Reads the sidecar of <paramref name="ringName"/>; false when there is none or it is malformed.</summary>
    /// <exception cref="PvRingException">The sidecar is of another version (or none), or is not a small regular file (a FIFO, a link, a socket).</exception>
    public static bool TryRead(HostDirectory host, string ringName, out int frontDomainId, out int port)
    {
        frontDomainId = 0;
        port = 0;
        string name = NameFor(ringName);
        if (name.Length > HostDirectory.MaxNameLength || !host.Exists(name))
        {
            return false;
        }

        // Checked before opening: a FIFO planted at the name would block the open for ever, a link leads outside the
        // directory, and a sidecar is never empty or large (a socket or a FIFO has length 0).
        string path = host.GetFilePath(name);
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || (info.Attributes & FileAttributes.Directory) != 0 || info.Length is 0 or > MaxLength)
        {
            throw new PvRingException(
                $"The ring's sidecar is not a sidecar: path={path}, length={(info.Exists ? info.Length : 0)}, link={info.LinkTarget ?? "none"} (expected a regular file of at most {MaxLength} bytes).");
        }

        bool haveDomain = false;
        bool havePort = false;
        string version = "none";
        foreach (string line in File.ReadAllText(path).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                return false;
            }

            string value = line[(equals + 1)..];
            switch (line[..equals])
            {
                case "version":
                    version = value;
                    break;
                case "frontend-id":
                    haveDomain = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out frontDomainId);
                    break;
                case "event-channel":
                    havePort = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port > 0;
                    break;
            }
        }

        if (version != Version.ToString(CultureInfo.InvariantCulture))
        {
            throw new PvRingException($"The ring's sidecar is of another version: path={path}, version={version}, expected={Version}.");
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
