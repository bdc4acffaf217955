"""Benchmarks: each prints a table and writes bench/results/*.json; run them as `python -m bench.<name>`."""
