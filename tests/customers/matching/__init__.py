"""Tests of probabilistic matching: normalising, comparing, blocking, estimating, deciding."""
