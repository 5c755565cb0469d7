"""Where the ledger is, which files it has and what is found but not read, and reading one
file safely (never blocking, never more than 10 MiB), without parsing anything.

Layer: file system only. Kept free of pydantic and YAML so that the fast paths (a command
whose result is cached) import little: see `speed.replay`. Imports nothing from `speed`
(the stamps and signature of the input files live in `speed/cache.py`).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import NamedTuple

from relancegit.limits import MAX_FILE_BYTES
from relancegit.problems import LedgerNotFound, Problem, Severity

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


class Listing(NamedTuple):
    """The ledger's files to read, sorted, and what was found but is not read (located problems:
    a folder that cannot be listed, a FIFO or device, a link leading outside the ledger...)."""

    clients: list[str]
    cases: list[str]
    problems: list[Problem]


def ledger_file_names(root: Path) -> Listing:
    """The client and case files as strings (a `Path` costs microseconds to build), with the
    problems of what is not read. Costs no system call per file beyond the folder listings: the entries'
    types come with them. Only links are looked at more closely."""
    problems: list[Problem] = []
    root_real = os.path.realpath(root)
    clients = _ledger_files_in(str(root / "clients"), False, root_real, problems)
    cases = _ledger_files_in(str(root / "cases"), True, root_real, problems)
    return Listing(clients, cases, sorted(problems, key=lambda p: str(p.file)))


def skipped_silently(name: str) -> bool:
    """Hidden files and folders (`.x.yaml.swp`, `.git`), editor backups (`x.yaml~`, `#x.yaml#`)
    and README files (`init` writes `clients/README.example.yaml.txt`)."""
    return (
        name.startswith(".")
        or name.endswith("~")
        or (name.startswith("#") and name.endswith("#"))
        or name[:6].upper() == "README"
    )


def _ledger_files_in(top: str, recursive: bool, root_real: str, problems: list[Problem]) -> list[str]:
    if not os.path.isdir(top):
        return []
    found: list[str] = []
    folders = [top]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    name = entry.name
                    if skipped_silently(name):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        if recursive:
                            folders.append(entry.path)
                        else:
                            problems.append(_not_read(entry.path, NESTED_CLIENTS, Severity.WARNING))
                    elif not name.endswith(YAML_SUFFIXES):
                        problems.append(_not_ledger_file(entry, name))
                    elif entry.is_file(follow_symlinks=False):
                        found.append(entry.path)
                    else:
                        reason = _why_not_read(entry, root_real)
                        if reason is None:
                            found.append(entry.path)  # a link to a ledger file
                        else:
                            problems.append(_not_read(entry.path, reason))
        except OSError as exc:
            problems.append(_not_read(folder, f"cannot read folder: {exc.strerror}"))
    return sorted(found)  # sorting strings: Path comparisons are slow


NESTED_CLIENTS = "folder inside clients/: not read (client files sit directly in clients/)"


def _not_read(path: str, message: str, severity: Severity = Severity.ERROR) -> Problem:
    return Problem(Path(path), message, severity=severity, line=1, column=1)


def _not_ledger_file(entry: os.DirEntry[str], name: str) -> Problem:
    stem, dot, suffix = name.rpartition(".")
    if dot and f".{suffix.lower()}" in YAML_SUFFIXES:  # .YAML, .Yml: meant as a ledger file
        return _not_read(entry.path, f"not read: ledger files end in lowercase .yaml or .yml (rename it {stem}.yaml)")
    if entry.is_symlink() and entry.is_dir():  # a folder of cases, perhaps: say it is not followed
        return _not_read(entry.path, "symbolic link to a folder: not followed")
    return _not_read(entry.path, "not a ledger file, not read: ledger files end in .yaml or .yml", Severity.WARNING)


def _why_not_read(entry: os.DirEntry[str], root_real: str) -> str | None:
    """Why a listed entry that is not a plain file is not read, or None for a link to one."""
    try:
        if not entry.is_symlink():
            return f"not a regular file ({_kind(entry.stat(follow_symlinks=False).st_mode)}): not read"
        target = os.readlink(entry.path)
    except OSError as exc:
        return f"cannot read file: {exc.strerror}"
    try:
        mode = os.stat(entry.path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"symbolic link loop ({target}): not read"
        return f"broken symbolic link to {target}: {exc.strerror}"
    resolved = os.path.realpath(entry.path)
    if not resolved.startswith(root_real + os.sep):
        return f"symbolic link to {target}, outside the ledger: not read"
    if not stat.S_ISREG(mode):
        return f"symbolic link to {_kind(mode)}: not read"
    return None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


# --- reading -------------------------------------------------------------------------------


class UnreadableFile(Exception):
    """A ledger file that cannot or must not be read; the message says why."""


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def read_ledger_file(path: str) -> tuple[os.stat_result, bytes]:
    """A ledger file's status and bytes: never blocks (a FIFO put in a file's place would hang a
    plain open), never reads anything but a regular file, never more than `MAX_FILE_BYTES`.
    One open, one fstat and (files do not grow while read) one read."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror}") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise UnreadableFile(f"not a regular file ({_kind(status.st_mode)}): not read")
        if status.st_size > MAX_FILE_BYTES:
            raise UnreadableFile(_too_large(status.st_size))
        raw = os.read(fd, status.st_size + 1)
        if len(raw) > status.st_size:  # it grew since fstat: read on, within the limit
            parts = [raw]
            total = len(raw)
            while chunk := os.read(fd, 1 << 16):
                total += len(chunk)
                if total > MAX_FILE_BYTES:
                    raise UnreadableFile(_too_large(total))
                parts.append(chunk)
            raw = b"".join(parts)
        return status, raw
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror}") from None
    finally:
        os.close(fd)


def _too_large(size: int) -> str:
    return f"file too large ({size:,} bytes): ledger files are at most {MAX_FILE_BYTES // (1 << 20)} MiB"
