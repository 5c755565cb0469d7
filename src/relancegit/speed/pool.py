"""Work across the cores: chunks of paths sent to forked worker processes (`in_chunks`), or
one computation in a forked child while the parent goes on (`Background`).

Layer: speed (behind the door of `speed/__init__.py`); no ledger semantics. With the door
closed, everything runs in the calling process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, Generic, TypeVar

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
    import multiprocessing  # here: `Background` alone does not need it (a few milliseconds)

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
    """The items of `produce()` computed in a forked child process while this one goes on, and
    sent over a pipe as they come: `items()` gives them here in order, so that this process
    works on the first while the child makes the next. Leaving the `with` block before the end
    stops the child (a replayed output does not need it).

    With the door closed, on one core or without fork, `produce()` runs in this process when
    `items()` is iterated: the same items, the same exception, at the same point. If the child
    dies without saying why (killed, out of memory), this process makes the items it did not
    receive; `produce` must then give the same items again (it reads the same bytes)."""

    def __init__(self, produce: Callable[[], Iterable[R]]) -> None:
        self._produce = produce
        self._pid = 0
        self._source: BinaryIO | None = None

    def __enter__(self) -> Background[R]:
        if speed.enabled() and worker_count() >= 2 and hasattr(os, "fork"):
            try:
                read_end, write_end = os.pipe()
                _widen(write_end)
                pid = os.fork()
            except OSError:  # no fork here (some sandboxes): produced here when asked
                return self
            if pid == 0:  # the child: never returns, never runs the parent's exit code
                os.close(read_end)
                os._exit(_send(self._produce, write_end))
            os.close(write_end)
            self._pid, self._source = pid, os.fdopen(read_end, "rb")
        return self

    def items(self) -> Iterator[R]:
        """The items, in order (once)."""
        if self._source is None:
            yield from self._produce()
            return
        received = 0
        while True:
            try:
                with gc_paused():  # many objects, no cycle
                    kind, value = pickle.load(self._source)
            except Exception:  # the child died before the end: the rest is made here
                self._stop()
                for count, item in enumerate(self._produce()):
                    if count >= received:
                        yield item
                return
            if kind == _ITEM:
                received += 1
                yield value
            elif kind == _END:
                self._stop()
                return
            else:
                self._stop()
                raise value

    def result(self) -> list[R]:
        return list(self.items())

    def _stop(self) -> None:
        if self._pid:
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)  # a no-op on a child that has finished
            with contextlib.suppress(OSError):
                os.waitpid(self._pid, 0)
            self._pid = 0
        if self._source is not None:
            self._source.close()
            self._source = None

    def __exit__(self, *exc: object) -> None:
        self._stop()


_ITEM, _END, _RAISED = 0, 1, 2
_PIPE_SIZE = 1 << 20  # Linux's default largest pipe for a user


def _widen(fd: int) -> None:
    """A pipe that holds a megabyte (Linux; 64 KiB by default): the child goes on making items
    while the parent does its own work first, instead of waiting for it to read."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


def _send(produce: Callable[[], Iterable[Any]], fd: int) -> int:
    """In the child: each item pickled to `fd` as it comes, then the end or the exception.
    Returns the child's exit code; 1 when the parent is to make the items itself."""
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                for item in produce():
                    pickle.dump((_ITEM, item), out, protocol=pickle.HIGHEST_PROTOCOL)
                    out.flush()  # the parent works on it meanwhile
                end: tuple[int, Any] = (_END, None)
            except Exception as exc:  # raised in the parent where its items stop
                end = (_RAISED, exc)
            pickle.dump(end, out, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # cannot pickle the exception, or the parent left: it makes them
        return 1
    return 0
