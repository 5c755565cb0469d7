"""Writing one output file whole or not at all.

Layer: file output, used by the commands that write a file the user asked for (a letter, a
calendar, the published head, the accepted violations). The ledger's case files go through
`record.atomic_write`, which also keeps their mode and uses the write lock's scratch folder.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from relancegit.problems import RelancegitError


def write_atomically(path: Path, content: bytes) -> Path:
    """Write `path` through a hidden temporary file beside it, flushed to disk, then renamed
    over it: a reader (a calendar app polling, CI reading the head) never sees half a file, and
    on any failure the old file stays as it was. A path that cannot be written is one line."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise RelancegitError(f"cannot write {path}: {exc.strerror or exc}") from None
    _sync_folder(path.parent)
    return path


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a file system that cannot is left as it is."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def packaged_dir(name: str) -> Path:
    """A folder shipped in the wheel (`templates`, `demo`), or its source in a checkout."""
    inside = resources.files("relancegit").joinpath(name)
    if inside.is_dir():
        return Path(str(inside))
    source = {"demo": "ledger"}.get(name, name)
    checkout = Path(__file__).resolve().parents[2] / source
    if checkout.is_dir():
        return checkout
    raise RelancegitError(f"packaged folder '{name}' is missing from this installation")
