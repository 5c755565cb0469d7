"""Problems (errors and warnings) found in ledger files, and the fatal conditions.

Layer: values shared by loading, checking and the CLI. A problem found on a parsed value
names its place as a path of keys and indexes (`("events", 3, "amount")`); `yamlsafe.locate`
turns paths into line and column only for files that have problems, so valid files never
pay for position tracking.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


# Where on the node a path problem points: its value, its key, or (missing keys) its parent.
AT_VALUE = "value"
AT_KEY = "key"


@dataclass(frozen=True)
class Problem:
    file: Path
    message: str
    severity: Severity = Severity.ERROR
    path: tuple[str | int, ...] = ()
    at: str = AT_VALUE
    line: int = 0  # 1-based; 0 until located
    column: int = 0

    @property
    def located(self) -> bool:
        return self.line > 0

    def at_position(self, line: int, column: int) -> Problem:
        return replace(self, line=line, column=column)

    def as_error(self) -> Problem:
        return replace(self, severity=Severity.ERROR)

    def display_path(self, cwd: Path | None = None) -> str:
        cwd = cwd or Path.cwd()
        try:
            # The folder resolved, not the file: a link is named as itself, never followed.
            return str((self.file.parent.resolve() / self.file.name).relative_to(cwd.resolve()))
        except ValueError:
            return str(self.file)

    def format(self, cwd: Path | None = None) -> str:
        return f"{self.display_path(cwd)}:{self.line}:{self.column}: {self.severity}: {self.message}"

    def to_json(self, cwd: Path | None = None) -> dict[str, object]:
        return {
            "file": self.display_path(cwd),
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


def error(file: Path, message: str, *path: str | int, at: str = AT_VALUE) -> Problem:
    return Problem(file=file, message=message, path=tuple(path), at=at)


def warning(file: Path, message: str, *path: str | int, at: str = AT_VALUE) -> Problem:
    return Problem(file=file, message=message, severity=Severity.WARNING, path=tuple(path), at=at)


class RelancegitError(Exception):
    """A fatal condition (no ledger, unreadable file, bad option). Turned into exit codes by cli.py."""

    exit_code = 1


class UsageError(RelancegitError):
    """The command was called wrongly or there is nothing to work on: exit code 2."""

    exit_code = 2


class LedgerNotFound(UsageError):
    pass


class BadDate(str):
    """A scalar that looked like a date in YAML but is not one (e.g. 2026-02-30)."""

    reason: str = ""
