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


def keep_loaded() -> None:
    """The ledger a command just loaded lives until the command ends: move every object alive
    now out of the cyclic collector's sight (`gc.freeze`), so that the collections the engine
    and the rendering trigger do not scan tens of thousands of models again and again (about a
    third of `next`'s computing at 10,000 cases), and forked workers do not copy their pages by
    scanning them. `release` at the end of the command puts them back. Nothing with the door
    closed."""
    if speed.enabled():
        gc.freeze()


def release() -> None:
    """Undo `keep_loaded` (harmless when nothing is frozen)."""
    gc.unfreeze()
