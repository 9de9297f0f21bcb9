"""Benchmarks (figures, not tests), run from the repository root: ``python -m bench.check_bench`` etc."""
