"""Load benchmarks: many customers at once against the real servers (`python -m bench.load --help`)."""
