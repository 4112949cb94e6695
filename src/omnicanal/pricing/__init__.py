"""One price book per currency, explicit channel overrides, and one promotions engine."""
