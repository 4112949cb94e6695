"""The customer's rights over their data (RGPD articles 15, 17 and 20): export, erasure, and
the retention periods that the worker enforces."""
