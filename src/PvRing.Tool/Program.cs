// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tool;

// pvring <verb> [options]. Exit codes: 0 success, 64 usage error, 69 service unavailable, 1 other failure.
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.Out.Write(StoreCommand.Usage);
    return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Success;
}

if (args[0] == "store")
{
    return StoreCommand.Run(args[1..]);
}

Console.Error.WriteLine($"pvring: unknown verb '{args[0]}'.");
Console.Error.Write(StoreCommand.Usage);
return ExitCodes.Usage;
