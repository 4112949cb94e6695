"""Fulfilment: where each order line comes from (sourcing) and how it reaches the customer."""
