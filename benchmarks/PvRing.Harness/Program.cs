// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Harness;

IHarnessCommand[] commands = typeof(IHarnessCommand).Assembly.GetTypes()
    .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IHarnessCommand).IsAssignableFrom(t))
    .Select(t => (IHarnessCommand)Activator.CreateInstance(t, nonPublic: true)!)
    .OrderBy(c => c.Name, StringComparer.Ordinal)
    .ToArray();

IHarnessCommand? command = args.Length > 0 ? commands.FirstOrDefault(c => c.Name == args[0]) : null;
if (command is null)
{
    Console.Error.WriteLine("usage: PvRing.Harness <command> [options]   (see docs/benchmarks.md)");
    foreach (IHarnessCommand c in commands)
    {
        Console.Error.WriteLine($"  {c.Name,-12} {c.Summary}");
    }

    return args.Length == 0 || args[0] is "-h" or "--help" ? 0 : 64;
}

try
{
    return command.Run(args[1..]);
}
catch (ArgumentException e) when (e.TargetSite?.DeclaringType?.Assembly == typeof(IHarnessCommand).Assembly)
{
    // A bad option, thrown by the harness's own checks (HarnessOptions, the commands): the message, not a stack trace
    // (EX_USAGE). One from the library is a failure and keeps its stack trace.
    Console.Error.WriteLine($"PvRing.Harness {command.Name}: {e.Message} (see docs/benchmarks.md)");
    return 64;
}
