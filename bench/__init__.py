"""Benchmarks of the course: ``python -m bench`` (or ``bash run.sh bench``) writes bench/results.md."""
