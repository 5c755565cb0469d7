"""Work across the cores: chunks of paths sent to forked worker processes (`in_chunks`), or
one computation in a forked child while the parent goes on (`Background`).

Layer: speed (behind the door of `speed/__init__.py`); no ledger semantics. With the door
closed, everything runs in the calling process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from relancegit import speed
from relancegit.speed.gc import gc_paused

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


class Background(Generic[R]):
    """`func()` computed in a forked child process while this one goes on; `result()` waits for
    it. Leaving the `with` block without asking kills the child (a replayed output does not
    need it). With the door closed, on one core or without fork, `func()` runs in this process
    when `result()` is called: the same value, the same exception, at the same point."""

    def __init__(self, func: Callable[[], R]) -> None:
        self._func = func
        self._pid = 0
        self._fd = -1
        self._done = False
        self._value: R | None = None

    def __enter__(self) -> Background[R]:
        if speed.enabled() and worker_count() >= 2 and hasattr(os, "fork"):
            try:
                read_end, write_end = os.pipe()
                pid = os.fork()
            except OSError:  # no fork here (some sandboxes): computed when asked
                return self
            if pid == 0:  # the child: compute, send, leave without running the parent's exit code
                code = 0
                try:
                    os.close(read_end)
                    try:
                        payload = pickle.dumps((True, self._func()), protocol=pickle.HIGHEST_PROTOCOL)
                    except Exception as exc:  # the parent raises it where it asks for the result
                        payload = pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
                    with os.fdopen(write_end, "wb") as out:
                        out.write(payload)
                except BaseException:
                    code = 1  # the parent computes it itself
                finally:
                    os._exit(code)
            os.close(write_end)
            self._pid, self._fd = pid, read_end
        return self

    def result(self) -> R:
        if not self._done:
            self._value = self._receive() if self._pid else self._func()
            self._done = True
        return self._value  # type: ignore[return-value]

    def _receive(self) -> R:
        with os.fdopen(self._fd, "rb") as source:
            payload = source.read()
        self._fd = -1
        os.waitpid(self._pid, 0)
        self._pid = 0
        try:
            with gc_paused():
                ok, value = pickle.loads(payload)
        except Exception:  # the child failed before sending (killed, out of memory): here, then
            return self._func()
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def __exit__(self, *exc: object) -> None:
        if self._pid:  # not asked for: not needed
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self._pid, 0)
            self._pid = 0
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
