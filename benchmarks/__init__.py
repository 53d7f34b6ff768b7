"""Benchmark scripts: speed, memory and scaling of each architecture (see benchmarks/README.md)."""
