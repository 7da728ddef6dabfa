// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;

namespace PvRing.Core.Tests.Events;

/// <summary>A private host directory under /dev/shm for one test, deleted afterwards.</summary>
internal sealed class TemporaryHost : IDisposable
{
    internal TemporaryHost()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        Host = new HostDirectory(Path.Combine(root, $"pvring-test-{Guid.NewGuid():N}"));
    }

    internal HostDirectory Host { get; }

    public void Dispose() => Directory.Delete(Host.Path, recursive: true);
}
