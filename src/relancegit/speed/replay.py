"""Output replay: a reading command whose inputs did not change prints its stored output.

Layer: speed (behind the door of `speed/__init__.py`), used by the command layer through
`run_or_replay`. Imports neither click nor the model: a replayed command does not import
pydantic.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from relancegit.speed import cache

if TYPE_CHECKING:
    from relancegit.read.discover import Listing

# What else decides how a reading command prints: terminal, width, colours.
OUTPUT_ENV = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "TTY_COMPATIBLE")


class Tee(io.TextIOBase):
    """Writes through to a stream while keeping a copy (to replay a command's output)."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self.parts: list[str] = []

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes):  # click writes bytes when given them
            text = text.decode(self.encoding, "replace")
        self.parts.append(text)
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")


def run_or_replay(root: Path, command: str, options: Sequence[object], run: Callable[[Listing], None]) -> NoReturn:
    """Print `command`'s stored output and exit with its code when nothing it depends on changed;
    else `run(listing)` (the ledger's files, as listed for the key), store what it printed and
    its exit code, and exit with it.

    The key holds relancegit's own code, every ledger file's stamp, the command and its
    `options`, the terminal and the output environment. Files changed within the racy window
    also have their contents digest stored and checked on reuse.
    """
    from relancegit.read.discover import ledger_file_names
    from relancegit.speed.cache import contents_digest, input_signature

    terminal = (sys.stdout.isatty(), sys.stderr.isatty(), shutil.get_terminal_size((0, 0)))
    listing = ledger_file_names(root)
    key, racy = input_signature(
        root,
        command,
        *options,
        terminal,
        [os.environ.get(name) for name in OUTPUT_ENV],
        listing=listing,
    )
    store = cache.LedgerCache(root)
    hit = store.get_result(command, key)
    if isinstance(hit, tuple) and len(hit) == 4:
        out, err, code, checked = hit
        if contents_digest(list(checked)) == checked:  # files racy when stored: same contents
            sys.stdout.write(out)
            sys.stderr.write(err)
            sys.exit(code)
    before = contents_digest(racy)
    out_tee, err_tee = Tee(sys.stdout), Tee(sys.stderr)
    code = 0
    with contextlib.redirect_stdout(out_tee), contextlib.redirect_stderr(err_tee):
        try:
            run(listing)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    if before is not None and contents_digest(racy) == before:  # unchanged while we ran
        store.put_result(command, key, ("".join(out_tee.parts), "".join(err_tee.parts), code, before))
    sys.exit(code)
