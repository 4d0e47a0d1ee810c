"""Benchmarks are scripts that print figures; pytest must never collect them as tests."""

collect_ignore_glob = ["*.py"]
