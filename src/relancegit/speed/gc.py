"""The cyclic garbage collector paused while bulk loading.

Layer: speed (behind the door of `speed/__init__.py`); no ledger semantics.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from relancegit import speed


@contextmanager
def gc_paused() -> Iterator[None]:
    """Bulk loading makes many objects and no reference cycles: the cyclic collector would only
    scan them again and again (a few per cent of a cold `check`). Reference counting still frees.
    With the door closed, the collector runs as usual."""
    enabled = gc.isenabled()
    if speed.enabled():
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
