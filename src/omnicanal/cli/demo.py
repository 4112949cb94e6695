"""``omnicanal demo``: a believable French fashion retailer, served."""

from __future__ import annotations


def demo() -> None:
    """Create the demo retailer on an empty database and serve it."""
    raise SystemExit("the demo retailer is being built")
