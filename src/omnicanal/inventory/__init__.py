"""The stock ledger: on-hand per (SKU, location), reservations, availability per channel."""
