"""omnicanal: one source of truth for stock, prices, customers and orders across every channel."""

__all__ = ["__version__"]
__version__ = "0.1.0"
