// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using PvRing.Memory;
using PvRing.Store;

namespace PvRing.Tests.Store;

/// <summary>A store server in a fresh private directory, clients on it, and bounded child processes.</summary>
internal sealed class StoreTestHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly string _directory;
    private readonly List<XenStoreClient> _clients = [];

    private StoreTestHost(string directory, XenStoreServer server)
    {
        _directory = directory;
        Server = server;
    }

    public XenStoreServer Server { get; }

    public string SocketPath => Server.SocketPath;

    public static StoreTestHost Start(XenStoreLimits? limits = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        string directory = Path.Combine(Path.GetTempPath(), "pvring-store-" + Guid.NewGuid().ToString("N")[..12]);
        var host = new HostDirectory(directory);
        XenStoreServer server = XenStoreServer.Start(new XenStoreServerOptions
        {
            SocketPath = host.GetFilePath(XenStoreServer.DefaultSocketName),
            Limits = limits ?? new XenStoreLimits(),
            ProcessProbeInterval = TimeSpan.FromMilliseconds(200),
            Logger = logger,
        });
        return new StoreTestHost(directory, server);
    }

    public static CancellationToken Bounded() => new CancellationTokenSource(Timeout).Token;

    public async Task<XenStoreClient> ConnectAsync(int? domainId = null)
    {
        XenStoreClient client = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = SocketPath, DomainId = domainId, RequestTimeout = Timeout }, Bounded());
        _clients.Add(client);
        return client;
    }

    /// <summary>Runs a stock xenstore tool against the store; returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Output, string Error)> RunToolAsync(string tool, params string[] args)
    {
        using Process process = Start("/usr/bin/" + tool, args);
        using CancellationTokenSource timeout = new(Timeout);
        Task<string> output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish within {Timeout}.");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>Starts a process with <c>XENSTORED_PATH</c> pointing at the store and its output redirected.</summary>
    public Process Start(string fileName, params string[] args)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["XENSTORED_PATH"] = SocketPath;
        return Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {fileName}.");
    }

    /// <summary>Starts the test peer (<c>dotnet PvRing.TestPeer.dll verb args</c>).</summary>
    public Process StartPeer(params string[] args) =>
        Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "PvRing.TestPeer.dll"), .. args]);

    public async ValueTask DisposeAsync()
    {
        foreach (XenStoreClient client in _clients)
        {
            await client.DisposeAsync();
        }

        await Server.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true); // a test may have taken it away first
        }
    }
}
