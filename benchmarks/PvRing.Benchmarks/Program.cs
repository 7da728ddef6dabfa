// Licensed under the MIT License. See LICENSE in the repository root.

using BenchmarkDotNet.Running;
using PvRing.Benchmarks;

// dotnet run -c Release --project benchmarks/PvRing.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(BenchmarkConfig).Assembly).Run(args, new BenchmarkConfig());
