// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;

namespace PvRing.Tests.Infrastructure;

/// <summary>A fresh private host directory for one test, removed with everything in it on dispose.</summary>
public sealed class TempHost : IDisposable
{
    public TempHost()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        string path = System.IO.Path.Combine(root, $"pvring-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Host = new HostDirectory(path);
    }

    public HostDirectory Host { get; }

    public string Path => Host.Path;

    public string FilePath(string name) => Host.GetFilePath(name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Host.Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
