"""Benchmarks: each script compares against an anchor in the same run and prints a ratio."""
