// Licensed under the MIT License. See LICENSE in the repository root.

using System.CommandLine;
using System.Runtime.InteropServices;
using PvRing.Store;

namespace PvRing.Tool;

/// <summary><c>pvring store --socket PATH</c>: runs the xenstore-compatible store in the foreground until SIGINT or SIGTERM.</summary>
internal static class StoreCommand
{
    public static Command Create()
    {
        var socket = new Option<string>("--socket") { Description = "Unix socket to create (mode 0600); put it in a private (0700) directory.", Required = true };
        var verbose = new Option<bool>("--verbose") { Description = "Log connections, refusals and domain events to stderr." };
        var maxValueSize = new Option<int?>("--max-value-size") { Description = "Largest node value in bytes (1..4096, default 4096)." };
        var maxNodes = new Option<int?>("--max-nodes") { Description = "Nodes an unprivileged domain may own (default 1000)." };
        var maxWatches = new Option<int?>("--max-watches") { Description = "Watches per unprivileged connection (default 128)." };
        var maxTransactions = new Option<int?>("--max-transactions") { Description = "Open transactions per unprivileged connection (default 10)." };
        var command = new Command("store", "Run the xenstore-compatible store in the foreground until SIGINT or SIGTERM. The stock tools work against it: XENSTORED_PATH=PATH xenstore-ls /")
        {
            socket, verbose, maxValueSize, maxNodes, maxWatches, maxTransactions,
        };
        command.SetAction(result =>
        {
            var defaults = new XenStoreLimits();
            var limits = new XenStoreLimits
            {
                MaxValueSize = result.GetValue(maxValueSize) ?? defaults.MaxValueSize,
                MaxNodesPerDomain = result.GetValue(maxNodes) ?? defaults.MaxNodesPerDomain,
                MaxWatchesPerConnection = result.GetValue(maxWatches) ?? defaults.MaxWatchesPerConnection,
                MaxTransactionsPerConnection = result.GetValue(maxTransactions) ?? defaults.MaxTransactionsPerConnection,
            };
            return Run(result.GetValue(socket)!, result.GetValue(verbose), limits);
        });
        return command;
    }

    private static int Run(string socket, bool verbose, XenStoreLimits limits)
    {
        var options = new XenStoreServerOptions
        {
            SocketPath = socket,
            Limits = limits,
            Logger = verbose ? new StderrLogger(Microsoft.Extensions.Logging.LogLevel.Debug) : null,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"pvring store: {e.Message}");
            return ExitCodes.Usage;
        }

        XenStoreServer server;
        try
        {
            server = XenStoreServer.Start(options);
        }
        catch (PvRingException e)
        {
            Console.Error.WriteLine($"pvring store: {e.Message}");
            return ExitCodes.Unavailable;
        }

        using var stop = new ManualResetEventSlim();
        void OnSignal(PosixSignalContext context)
        {
            // Handled here: the store shuts down cleanly and removes its socket instead of the runtime exiting.
            context.Cancel = true;
            stop.Set();
        }

        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal))
        {
            Console.Error.WriteLine($"pvring store: listening on {server.SocketPath} (pid {Environment.ProcessId}); SIGINT or SIGTERM stops it.");
            stop.Wait();
        }

        server.Dispose();
        Console.Error.WriteLine("pvring store: stopped.");
        return ExitCodes.Success;
    }
}
