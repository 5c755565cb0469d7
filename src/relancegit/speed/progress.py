"""A progress bar safe to use around forked workers.

Layer: speed (behind the door of `speed/__init__.py`), used by the command layer through
`progress_bar`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

Progress = Callable[[int, int], None]  # (completed, total)


class LazyProgress:
    """A rich progress bar that starts at its first update. Its refresh thread must not exist
    when `build` forks its render workers (a fork copies locks that thread may hold), and
    `build` forks before it reports any progress."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, completed: int, total: int) -> None:
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=total)
        self.bar.update(self.task, completed=completed, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator[Progress]:
    """A transient bar, drawn from its first update until the block ends (however it ends)."""
    bar = LazyProgress(description)
    try:
        yield bar
    finally:
        bar.close()
