"""Carts shared by every channel: anonymous or for a customer, persistent, priced live."""
