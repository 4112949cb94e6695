"""Events of the privacy module."""

CUSTOMER_ERASED = "customer.erased"
"""A person was erased. Data: ``erasure_id``, ``profile_ids``, ``reason`` — never a personal
value: every consumer and connected system forgets what it holds under those profile ids."""
