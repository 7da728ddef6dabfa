// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;

namespace PvRing.Harness;

/// <summary><c>--name value</c> options of a harness command, with defaults and range checks.</summary>
internal sealed class HarnessOptions
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public HarnessOptions(string[] args, params string[] known)
    {
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!known.Contains(args[i]) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unknown option or missing value: '{args[i]}' (known: {string.Join(", ", known)})");
            }

            _values[args[i]] = args[i + 1];
        }
    }

    public long Int(string name, long defaultValue, long min, long max)
    {
        if (!_values.TryGetValue(name, out string? text))
        {
            return defaultValue;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
        {
            throw new ArgumentException($"{name} must be an integer in {min}..{max}, not '{text}'");
        }

        return value;
    }

    public string String(string name, string defaultValue) => _values.GetValueOrDefault(name, defaultValue);

    /// <summary>Two different CPUs, "A,B" (default 0,1).</summary>
    public (int A, int B) CpuPair()
    {
        string[] parts = String("--cpus", "0,1").Split(',');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int a) || !int.TryParse(parts[1], out int b) || a == b || a < 0 || b < 0)
        {
            throw new ArgumentException("--cpus must name two different CPUs, like 0,1");
        }

        return (a, b);
    }
}
