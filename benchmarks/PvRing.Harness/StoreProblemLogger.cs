// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;

namespace PvRing.Harness;

/// <summary>
/// Writes to standard error what a store refuses or drops (warnings, and refused requests other than a read of a missing
/// node), which explains a failed run; its routine connection events are left out.
/// </summary>
internal sealed class StoreProblemLogger : ILogger
{
    private const int RequestRefused = 104; // StoreLog.RequestRefused

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string line = formatter(state, exception);
        if (logLevel >= LogLevel.Warning || (eventId.Id == RequestRefused && !line.Contains("ENOENT", StringComparison.Ordinal)))
        {
            Console.Error.WriteLine(line);
        }
    }
}
