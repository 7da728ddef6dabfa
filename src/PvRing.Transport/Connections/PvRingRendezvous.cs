// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Bus;
using PvRing.Memory;
using PvRing.Store;

namespace PvRing.Transport;

/// <summary>
/// How a front end meets a listener by name, with the store as the only rendezvous. The name is a private directory
/// (0700) under the host directory holding the store's socket and every domain's files. The listener (domain 0, the
/// toolstack) keeps <c>/pvring/next-domain</c>; a front claims the next id in one transaction (writing
/// <c>/pvring/claims/&lt;id&gt;</c> = its process id), the listener introduces that domain, creates its device and writes
/// <c>/pvring/ready/&lt;id&gt;</c>, and the front then joins the store as that domain and connects the device. Shared memory
/// is never a file there: the front connects to <see cref="MemorySocketName"/>, where the listener admitted exactly the
/// process that claimed the domain, and the two pass sealed memfds (see <see cref="Memory.SealedMemory"/>).
/// </summary>
internal static class PvRingRendezvous
{
    public const string Root = "/pvring";
    public const string NextDomain = Root + "/next-domain";
    public const string Claims = Root + "/claims";
    public const string Ready = Root + "/ready";

    /// <summary>With an external store: the process id of the listener that uses it (one per store).</summary>
    public const string ListenerKey = Root + "/listener";

    /// <summary>With an external store: the file in the name's directory that holds the store's socket path.</summary>
    public const string StorePointerName = "store";

    /// <summary>The first domain id handed to a front end (0 is the listener).</summary>
    public const int FirstDomain = 1;

    /// <summary>Domain ids stop here: Xen's <c>DOMID_FIRST_RESERVED</c>.</summary>
    public const int LastDomain = 0x7FEF;

    /// <summary>The store socket's file name inside the name's directory.</summary>
    public const string SocketName = "xenstored.sock";

    /// <summary>
    /// The memory exchange's socket inside the name's directory: the listener (domain 0) serves it, each front connects
    /// after claiming its domain and hands over its sealed memory there (arena, grant table, event page, flush pages),
    /// receiving the listener's event page (<see cref="Memory.SealedMemory"/>).
    /// </summary>
    public const string MemorySocketName = "memory.sock";

    /// <summary>The private directory of <paramref name="name"/> under <paramref name="host"/> (created 0700 if needed).</summary>
    /// <exception cref="ArgumentException">The name is not a valid file name.</exception>
    public static HostDirectory DirectoryOf(HostDirectory host, string name)
    {
        HostDirectory.ValidateName(name);
        return new HostDirectory(host.GetFilePath(name));
    }

    /// <summary>
    /// The store socket of the name in <paramref name="directory"/>: the embedded store's, or the external one the listener
    /// wrote in its pointer file.
    /// </summary>
    public static string SocketOf(HostDirectory directory)
    {
        string embedded = directory.GetFilePath(SocketName);
        string pointer = directory.GetFilePath(StorePointerName);
        if (!File.Exists(embedded) && File.Exists(pointer))
        {
            try
            {
                // Only a small regular file is a pointer: a FIFO planted at the name (length 0) would block the read for
                // ever, a link leads outside the directory. Anything else is treated as no pointer.
                var info = new FileInfo(pointer);
                if (info.LinkTarget is not null || info.Length is 0 or > 4096)
                {
                    return embedded;
                }

                string path = File.ReadAllText(pointer).Trim();
                return Path.IsPathFullyQualified(path) ? path : embedded;
            }
            catch (IOException)
            {
                return embedded; // the listener is going away: retry as if nobody listened
            }
        }

        return embedded;
    }

    /// <summary>Writes the pointer file (0600, whole or not at all: written aside, then renamed into place).</summary>
    public static void WriteStorePointer(HostDirectory directory, string socket)
    {
        string pointer = directory.GetFilePath(StorePointerName);
        string aside = pointer + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(aside, System.Text.Encoding.UTF8, options))
        {
            writer.Write(socket);
        }

        File.Move(aside, pointer, overwrite: true);
    }

    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The device a front end of <paramref name="frontDomain"/> meets its listener on: <c>vif</c> 0, back end domain 0.</summary>
    public static XenBusDevice DeviceOf(int frontDomain) => new("vif", frontDomain, 0, 0);

    /// <summary>Claims the next domain id (the listener must be there: it wrote <see cref="NextDomain"/>).</summary>
    public static Task<int> ClaimAsync(XenStoreClient privileged, CancellationToken cancellationToken) =>
        privileged.RunTransactionAsync(async (t, token) =>
        {
            string text = await t.ReadAsync(NextDomain, token).ConfigureAwait(false);
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int domain) || domain < FirstDomain || domain > LastDomain)
            {
                throw new PvRingProtocolException($"The listener's {NextDomain} is not a domain id: '{text}'.");
            }

            await t.WriteAsync(NextDomain, Number(domain + 1), token).ConfigureAwait(false);
            await t.WriteAsync($"{Claims}/{Number(domain)}", Number(Environment.ProcessId), token).ConfigureAwait(false);
            return domain;
        }, cancellationToken);
}
