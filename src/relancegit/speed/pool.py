"""Work on many files across the cores: chunks of paths sent to forked worker processes.

Layer: speed (behind the door of `speed/__init__.py`); no ledger semantics. With the door
closed, everything runs in the calling process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any, TypeVar

from relancegit import speed

R = TypeVar("R")
S = TypeVar("S")

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 400


def worker_count() -> int:
    """Worker processes for parallel work: the cores this process may use, at most 8."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, 8)


# What forked workers inherit: the function and what it shares across chunks. Set just before
# the pool forks, so it is never pickled; only each chunk's paths travel.
_INHERITED: tuple[Callable[[Any, list[str]], list[Any]], Any] | None = None


def _run_chunk(paths: list[str]) -> list[Any]:
    assert _INHERITED is not None
    func, shared = _INHERITED
    return func(shared, paths)


def in_chunks(func: Callable[[S, list[str]], list[R]], shared: S, paths: list[str]) -> list[R]:
    """`func(shared, chunk)` over chunks of paths, in order, across the cores when there are many
    (libyaml holds the GIL). Workers are forked: `shared` (e.g. a checking context) reaches
    them as inherited memory, not pickled; only each chunk's results come back."""
    global _INHERITED
    workers = worker_count()
    if not speed.enabled() or workers < 2 or len(paths) < PARALLEL_MIN_FILES:
        return func(shared, paths)
    size = -(-len(paths) // (workers * 4))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    results: list[R] = []
    _INHERITED = (func, shared)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            # Chunk by chunk, in order: each worker's pickled reply is freed once unpacked.
            for part in pool.imap(_run_chunk, chunks):
                results.extend(part)
    except OSError:  # no fork or no semaphores here (some sandboxes): work in this process
        return func(shared, paths)
    finally:
        _INHERITED = None
    return results
