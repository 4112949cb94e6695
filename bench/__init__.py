"""Benchmarks of omnicanal (scripts, not tests): ``python -m bench.reservations``,
``python -m bench.availability``. See bench/README.md."""
