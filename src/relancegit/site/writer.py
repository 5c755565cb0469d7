"""The dashboard's output folder: files written atomically, only when their bytes change, and
never outside the folder.

Layer: file writing for `site.site`. Knows nothing of pages or the ledger beyond the id
pattern that names them.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from relancegit.git.audit import PUBLISHED_NAME
from relancegit.model import ID_PATTERN
from relancegit.problems import RelancegitError

MARKER = ".relancegit-site"
_ID_RE = re.compile(ID_PATTERN)


class UnsafeOutput(RelancegitError):
    """An output path would leave the output folder, or the folder is not a dashboard."""


class OutputNotWritable(RelancegitError):
    """The output folder or a file in it cannot be written (read-only, full, not a folder)."""

    def __init__(self, path: str | Path, exc: OSError) -> None:
        super().__init__(f"cannot write {path}: {exc.strerror or exc}")


@dataclass
class BuildResult:
    out_dir: Path
    written: list[Path] = field(default_factory=list)  # files created or changed
    unchanged: int = 0
    removed: list[Path] = field(default_factory=list)  # pages of cases or clients gone
    letters_skipped: int = 0  # letters the letters module could not render

    @property
    def files(self) -> int:
        return len(self.written) + self.unchanged


class SiteWriter:
    """Writes files under one folder: atomically, only when the bytes differ, never outside.

    Output names are a few fixed folders and file names made of safe ids: each folder is
    resolved once (a symbolic link cannot lead outside), and a name is checked lexically.
    Replacing a file renames over it, so a link at a file's own name is replaced, not followed.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.root = out_dir.resolve()
        self.result = BuildResult(out_dir)
        self.seen: set[str] = set()  # absolute paths, as strings
        self._folders: dict[str, str] = {}
        self._temp = 0

    def _target(self, relative: str) -> str:
        folder, _, name = relative.rpartition("/")
        if not name or name in (".", "..") or "\\" in relative:
            raise UnsafeOutput(f"refusing to write {relative!r}: outside {self.out_dir}")
        return os.path.join(self._folder(folder, relative), name)

    def _folder(self, folder: str, relative: str) -> str:
        """A folder under the root, resolved once: a link that leads outside is refused."""
        resolved = self._folders.get(folder)
        if resolved is None:
            target = (self.root / folder).resolve() if folder else self.root
            if target != self.root and self.root not in target.parents:
                raise UnsafeOutput(f"refusing to write {relative!r}: outside {self.out_dir}")
            resolved = self._folders[folder] = str(target)
        return resolved

    def write(self, relative: str, content: str | bytes) -> None:
        raw = content.encode("utf-8") if isinstance(content, str) else content
        target = self._target(relative)
        self.seen.add(target)
        try:
            with open(target, "rb") as handle:
                if handle.read() == raw:
                    self.result.unchanged += 1
                    return
        except OSError:
            pass
        try:
            self._replace(target, raw)
        except OSError as exc:  # a read-only or full site folder: one line, not a traceback
            raise OutputNotWritable(target, exc) from None
        self.result.written.append(Path(target))

    def _replace(self, target: str, raw: bytes) -> None:
        directory = os.path.dirname(target)
        os.makedirs(directory, exist_ok=True)
        # A name of our own (process id and counter) rather than mkstemp's random search:
        # O_EXCL still refuses to open anything that exists.
        while True:
            self._temp += 1
            temp = os.path.join(directory, f".tmp-{os.getpid()}-{self._temp}")
            try:
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                break
            except FileExistsError:  # left by a crashed build with the same process id
                continue
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def keep(self, relative: str) -> bool:
        """Count a file from the previous build as part of this one, if it is still there."""
        target = self._target(relative)
        try:
            if not stat.S_ISREG(os.lstat(target).st_mode):
                return False  # a link or anything else in its place: rendered and replaced
        except OSError:
            return False
        self.seen.add(target)
        self.result.unchanged += 1
        return True

    def remove_stale(self, folders: Iterable[str]) -> None:
        """Pages of cases, clients and letters that no longer exist (only .html files we own)."""
        for folder in folders:
            directory = self._folder(folder, folder)
            if not os.path.isdir(directory):
                continue
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.name.endswith(".html") and entry.path not in self.seen and entry.is_file():
                        try:
                            os.unlink(entry.path)
                        except OSError as exc:
                            raise OutputNotWritable(entry.path, exc) from None
                        self.result.removed.append(Path(entry.path))


def prepare_output(out_dir: Path) -> None:
    """Create the folder; refuse a non-empty folder that is not a dashboard built before."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UnsafeOutput(f"{out_dir} exists and is not a folder")
    try:
        # `audit --published` may record its head in the folder before the first build.
        foreign = out_dir.is_dir() and any(entry.name != PUBLISHED_NAME for entry in out_dir.iterdir())
        if foreign and not (out_dir / MARKER).is_file():
            raise UnsafeOutput(
                f"{out_dir} is not empty and holds no dashboard ({MARKER} missing): "
                "choose an empty or new folder with -o"
            )
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputNotWritable(out_dir, exc) from None


def safe_id(identifier: str) -> str:
    """An id usable in a file name: the ledger's id pattern, no path separators or dots alone."""
    if not _ID_RE.match(identifier) or "/" in identifier or "\\" in identifier:
        raise UnsafeOutput(f"id {identifier!r} cannot name a page")
    return identifier
