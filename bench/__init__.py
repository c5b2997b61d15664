"""Benchmarks (`make bench`). Each `bench/bench_*.py` has `main(argv)` that runs its baseline in the same run,
prints the ratio, and returns a markdown block for bench/RESULTS.md."""
