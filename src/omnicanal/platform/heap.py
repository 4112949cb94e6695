"""The long-running processes' heap: what was built at start-up is set aside from collection.

A server or a worker builds hundreds of thousands of objects once (the modules, SQLAlchemy's
mapped classes and compiled statements, FastAPI's routes and pydantic's validators) and keeps
them until it stops. CPython's cyclic garbage collector visits every one of them on each full
collection, which comes after every few thousand allocations that outlive a request: on
the 2-core VM one full collection took 150 ms of CPU, more than the relay's own work on a batch
(bench/README.md, "The heap"). :func:`settle` is called once the process is ready: it collects
what start-up left, then freezes the rest (:func:`gc.freeze`) so that later collections visit
only what the process made since. Nothing is freed or kept differently: frozen objects are
those that would have lived to the end anyway.
"""

from __future__ import annotations

import gc

__all__ = ["settle"]


def settle() -> int:
    """Collect, then move every object left into the permanent generation; how many moved."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
