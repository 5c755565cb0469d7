"""The ledger's write lock: one writer at a time, and a private folder for its scratch files.

Layer: the filesystem. Every command that changes ledger files (`record`, `send`, future
importers) does its read-modify-write, and its commit, inside `ledger_write_lock(root)`:

    with ledger_write_lock(root) as state:
        ...  # read the case file, append, atomic_write(path, new, scratch=state.scratch)

The lock is `fcntl.flock` on a file in the state folder: the kernel releases it when its
holder exits, however it exits (kill -9 included), so a lock is never stale. The state
folder is `relancegit/` inside the repository's git directory, which git never lists in
`git status` (no `.gitignore` needed); a ledger outside git uses `.relancegit/` beside
`ledger/`. Whatever a killed writer left in the scratch folder is removed by the next
holder of the lock: only a lock holder writes there.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from relancegit.problems import RelancegitError, UsageError

# How long a writer waits for another one to finish (a record takes about a second; twenty
# queued ones some seconds). RELANCEGIT_LOCK_TIMEOUT (seconds) changes it, e.g. on a slow CI.
LOCK_TIMEOUT = 30.0
ENV_LOCK_TIMEOUT = "RELANCEGIT_LOCK_TIMEOUT"
STATE_DIR = ".relancegit"  # beside ledger/, when the ledger is not in a git repository
_IN_GIT_DIR = "relancegit"


class LedgerLocked(RelancegitError):
    """Another writer held the lock for longer than we were willing to wait."""


@dataclass(frozen=True)
class WriteState:
    """Where the holder of the write lock keeps its files (all invisible to `git status`)."""

    folder: Path

    @property
    def scratch(self) -> Path:
        """Temporary files of atomic writes; emptied when the lock is taken."""
        return self.folder / "tmp"

    @property
    def journal(self) -> Path:
        """What a writer is in the middle of (e.g. a commit), for the next one to settle."""
        return self.folder / "journal"


def state_folder(root: Path) -> Path:
    """The folder of the lock for the ledger at `root`: inside the git directory if any."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--absolute-git-dir"], cwd=root, capture_output=True, check=False, text=True
        )
    except OSError:  # git missing: the ledger is not committed anyway
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip():
        return Path(done.stdout.strip()) / _IN_GIT_DIR
    return root.resolve().parent / STATE_DIR


def lock_timeout() -> float:
    """The wait for the write lock: $RELANCEGIT_LOCK_TIMEOUT seconds, else `LOCK_TIMEOUT`."""
    text = os.environ.get(ENV_LOCK_TIMEOUT, "").strip()
    if not text:
        return LOCK_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise UsageError(f"{ENV_LOCK_TIMEOUT}: expected a number of seconds, got '{text}'")
    return value


@contextlib.contextmanager
def ledger_write_lock(root: Path, timeout: float | None = None) -> Iterator[WriteState]:
    """Hold the ledger's write lock, waiting up to `timeout` seconds (default: `lock_timeout()`)
    for another writer.

    Raises `LedgerLocked` when the wait is over, `RelancegitError` when the lock cannot be
    created (read-only folder). Yields the state folder, its scratch folder already emptied.
    Re-entrant within a process: a command holding the lock can call `record` (which takes
    it too)."""
    state = WriteState(state_folder(root))
    lock_path = state.folder / "lock"
    if lock_path in _held:  # already ours (send around record): flock would wait for itself
        yield state
        return
    try:
        state.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise RelancegitError(
            f"cannot create the ledger's write lock {lock_path}: {exc.strerror or exc}; nothing was changed"
        ) from None
    try:
        _acquire(fd, lock_path, lock_timeout() if timeout is None else timeout)
        _held.add(lock_path)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for the message of a waiter
        _empty(state.scratch)
        yield state
    finally:
        _held.discard(lock_path)
        os.close(fd)  # releases the lock


_held: set[Path] = set()  # the locks this process holds: taking one again is a no-op


def _acquire(fd: int, lock_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES, errno.EAGAIN):
                raise RelancegitError(f"cannot lock {lock_path}: {exc.strerror or exc}") from None
        left = deadline - time.monotonic()
        if left <= 0:
            holder = _holder(lock_path)
            raise LedgerLocked(
                f"the ledger is being changed by another relancegit command{holder}; "
                f"gave up after waiting {timeout:g} s: nothing was changed, run the command again "
                f"when it has finished (lock: {lock_path})"
            )
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.1)


def _holder(lock_path: Path) -> str:
    try:
        pid = lock_path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


def _empty(folder: Path) -> None:
    """Remove what a killed writer left behind: only a holder of the lock writes here."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
