"""Orders: checkout, one order status for every channel, and the operations on it."""
