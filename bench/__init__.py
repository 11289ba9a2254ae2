"""Benchmarks: `python -m bench` (accuracy per corpus variant), `python -m bench.throughput`."""
