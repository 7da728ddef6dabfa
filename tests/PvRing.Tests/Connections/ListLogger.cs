// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PvRing.Tests.Connections;

/// <summary>An <see cref="ILogger"/> that keeps every message, for tests.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public ConcurrentQueue<int> EventIds { get; } = new();

    public ConcurrentQueue<Exception> Exceptions { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        EventIds.Enqueue(eventId.Id);
        if (exception is not null)
        {
            Exceptions.Enqueue(exception);
        }

        Messages.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }

    public bool Contains(string text) => Messages.Any(m => m.Contains(text, StringComparison.Ordinal));
}
