"""Loyalty on every channel: programmes, members (a customer profile joined by card, app
login or at a counter), one points ledger every channel earns and spends from, tiers,
redemptions as a payment-like tender (ADR 0021)."""
