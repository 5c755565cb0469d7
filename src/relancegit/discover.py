"""Where the ledger is and which files it has, without parsing anything.

Layer: file system only. Kept free of pydantic and YAML so that the fast paths (a command
whose result is cached) import little: see `cli._memoized`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from relancegit import cache as ledger_cache
from relancegit.cache import FileStamp
from relancegit.problems import LedgerNotFound

CONFIG_NAME = "relancegit.yaml"
LEDGER_DIR = "ledger"
ENV_LEDGER = "RELANCEGIT_LEDGER"
YAML_SUFFIXES = (".yaml", ".yml")


# --- discovery -----------------------------------------------------------------------------


def find_ledger(explicit: str | Path | None = None, cwd: Path | None = None) -> Path:
    """The ledger folder (the one holding `relancegit.yaml`): the discovery order of docs/commands.md."""
    candidate = explicit if explicit is not None else os.environ.get(ENV_LEDGER) or None
    if candidate is not None:
        path = Path(candidate)
        for folder in (path, path / LEDGER_DIR):
            if (folder / CONFIG_NAME).is_file():
                return folder
        if path.name == CONFIG_NAME and path.is_file():
            return path.parent
        origin = "--ledger" if explicit is not None else ENV_LEDGER
        raise LedgerNotFound(f"no ledger at {path} ({origin}): expected {path / CONFIG_NAME}")
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / LEDGER_DIR / CONFIG_NAME).is_file():
            return folder / LEDGER_DIR
        if folder.name == LEDGER_DIR and (folder / CONFIG_NAME).is_file():
            return folder
    raise LedgerNotFound(
        f"no ledger found: no {LEDGER_DIR}/{CONFIG_NAME} in {start} or its parents "
        f"(use --ledger PATH, set {ENV_LEDGER}, or create one with 'relancegit init DIR')"
    )


def ledger_files(root: Path) -> tuple[list[Path], list[Path]]:
    """Client and case files, sorted, hidden files and folders left aside."""
    clients, cases = ledger_file_names(root)
    return [Path(p) for p in clients], [Path(p) for p in cases]


def ledger_file_names(root: Path) -> tuple[list[str], list[str]]:
    """`ledger_files` as strings, for the hot paths (a `Path` costs microseconds to build)."""
    return _yaml_files(root / "clients", recursive=False), _yaml_files(root / "cases", recursive=True)


def _yaml_files(folder: Path, recursive: bool) -> list[str]:
    if not folder.is_dir():
        return []
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")] if recursive else []
        found.extend(
            os.path.join(dirpath, name)
            for name in filenames
            if name.endswith(YAML_SUFFIXES) and not name.startswith(".")
        )
    return sorted(found)  # sorting strings: Path comparisons are slow


def input_signature(
    root: Path, *parts: object, listing: tuple[list[str], list[str]] | None = None
) -> tuple[str, list[str]]:
    """A key for everything a ledger command reads (each file's stamp), and the files changed
    too recently for their stamp alone to be trusted (within the same mtime tick they could
    change again unseen). Whoever stores a result under the key keeps those files' contents
    digests and checks them on reuse: git's "racily clean" rule."""
    client_paths, case_paths = listing if listing is not None else ledger_file_names(root)
    now_ns = time.time_ns()
    stamps: dict[str, FileStamp] = {}
    racy: list[str] = []
    for path in (str(root / CONFIG_NAME), *client_paths, *case_paths):
        try:
            stamp = FileStamp.of(os.stat(path))
        except OSError:
            continue
        stamps[path] = stamp
        if stamp.racy(now_ns):
            racy.append(path)
    return ledger_cache.signature(stamps, str(root.resolve()), *parts), racy


def contents_digest(paths: list[str]) -> dict[str, bytes] | None:
    """Digests of these files' contents (None when one cannot be read)."""
    found = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                found[path] = ledger_cache.digest(handle.read())
        except OSError:
            return None
    return found
