// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;
using PvRing.Store;

namespace PvRing.Tool;

/// <summary><c>pvring store --socket PATH</c>: runs the xenstore-compatible store in the foreground until SIGINT or SIGTERM.</summary>
internal static class StoreCommand
{
    public const string Usage = """
        usage: pvring store --socket PATH [--verbose] [--max-value-size N] [--max-nodes N] [--max-watches N] [--max-transactions N]

          Runs PvRing's xenstore-compatible store in the foreground until SIGINT or SIGTERM.
          --socket PATH        Unix socket to create (mode 0600); put it in a private (0700) directory.
          --verbose            log connections, refusals and domain events to stderr.
          --max-value-size N   largest node value in bytes (1..4096, default 4096).
          --max-nodes N        nodes an unprivileged domain may own (default 1000).
          --max-watches N      watches per unprivileged connection (default 128).
          --max-transactions N open transactions per unprivileged connection (default 10).
          The stock tools work against it: XENSTORED_PATH=PATH xenstore-ls /

        """;

    public static int Run(string[] args)
    {
        string? socket = null;
        bool verbose = false;
        var limits = new XenStoreLimits();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg == "--verbose")
            {
                verbose = true;
                continue;
            }

            if (arg is "-h" or "--help")
            {
                Console.Out.Write(Usage);
                return ExitCodes.Success;
            }

            if (i + 1 >= args.Length)
            {
                return UsageError($"'{arg}' is not an option or needs a value.");
            }

            string value = args[++i];
            switch (arg)
            {
                case "--socket":
                    socket = value;
                    break;
                case "--max-value-size" or "--max-nodes" or "--max-watches" or "--max-transactions":
                    if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number))
                    {
                        return UsageError($"{arg} needs a positive number, not '{value}'.");
                    }

                    limits = arg switch
                    {
                        "--max-value-size" => Copy(limits, maxValueSize: number),
                        "--max-nodes" => Copy(limits, maxNodes: number),
                        "--max-watches" => Copy(limits, maxWatches: number),
                        _ => Copy(limits, maxTransactions: number),
                    };
                    break;
                default:
                    return UsageError($"unknown option '{arg}'.");
            }
        }

        if (socket is null)
        {
            return UsageError("--socket PATH is required.");
        }

        var options = new XenStoreServerOptions
        {
            SocketPath = socket,
            Limits = limits,
            Log = verbose ? message => Console.Error.WriteLine(message) : null,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            return UsageError(e.Message);
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

    private static XenStoreLimits Copy(XenStoreLimits limits, int? maxValueSize = null, int? maxNodes = null, int? maxWatches = null, int? maxTransactions = null) => new()
    {
        MaxValueSize = maxValueSize ?? limits.MaxValueSize,
        MaxNodesPerDomain = maxNodes ?? limits.MaxNodesPerDomain,
        MaxWatchesPerConnection = maxWatches ?? limits.MaxWatchesPerConnection,
        MaxTransactionsPerConnection = maxTransactions ?? limits.MaxTransactionsPerConnection,
        MaxPendingEventsPerConnection = limits.MaxPendingEventsPerConnection,
        MaxConnections = limits.MaxConnections,
    };

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"pvring store: {message}");
        Console.Error.Write(Usage);
        return ExitCodes.Usage;
    }
}
