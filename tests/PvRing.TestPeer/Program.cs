// Licensed under the MIT License. See LICENSE in the repository root.

using System.Reflection;
using PvRing.TestPeer;

// The second process of the cross-process tests: `PvRing.TestPeer <verb> [args...]`.
// Exit code 0 means the role completed as the test expects; anything else is a failure the test reports.
IPeerVerb[] verbs = typeof(IPeerVerb).Assembly.GetTypes()
    .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IPeerVerb).IsAssignableFrom(t))
    .Select(t => (IPeerVerb)Activator.CreateInstance(t, nonPublic: true)!)
    .OrderBy(v => v.Name, StringComparer.Ordinal)
    .ToArray();

string usage = $"usage: PvRing.TestPeer <{string.Join('|', verbs.Select(v => v.Name))}> [args...]   (each verb's arguments: its class's summary)";
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(usage);
    return 0;
}

IPeerVerb? verb = args.Length > 0 ? verbs.FirstOrDefault(v => v.Name == args[0]) : null;
if (verb is null)
{
    Console.Error.WriteLine(usage);
    return 64;
}

try
{
    return verb.Run(args[1..]);
}
catch (Exception e) when (e is not TargetInvocationException)
{
    Console.Error.WriteLine($"{verb.Name}: {e}");
    return 1;
}
