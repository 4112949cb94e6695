"""One price book per currency with a list price per SKU."""
