"""What every command shares: the global options, loading the ledger, printing a view in the
chosen format, exit codes, and the replay of a reading command's output.

Layer: the command layer (see `commands/__init__.py`). The one place reading the clock:
`--today`, else RELANCEGIT_TODAY, else the current date in Europe/Paris.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import click

from relancegit.limits import date_out_of_range
from relancegit.problems import RelancegitError
from relancegit.read.discover import find_ledger

if TYPE_CHECKING:  # the model and its loader are imported only by the commands that need them
    from relancegit.read.discover import Listing
    from relancegit.read.load import LoadResult

ENV_TODAY = "RELANCEGIT_TODAY"
PARIS = ZoneInfo("Europe/Paris")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Options:
    ledger: str | None
    today: date
    format: str

    _loaded: LoadResult | None = None
    # The ledger's files as listed for the replay key, for the command to read the same files.
    listing: Listing | None = None

    def load(self) -> LoadResult:
        from relancegit.read.load import load_ledger

        if self._loaded is None:
            from relancegit.speed.gc import keep_loaded

            self._loaded = load_ledger(find_ledger(self.ledger), self.today)
            keep_loaded()
        return self._loaded


def now() -> datetime:
    """The current time in Europe/Paris (the clock is read here and nowhere below)."""
    return datetime.now(PARIS)


def parse_today(value: str | None) -> date:
    if value is None:
        return now().date()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date YYYY-MM-DD", param_hint="--today") from None
    reason = date_out_of_range(day)
    if reason is not None:
        raise click.BadParameter(reason, param_hint="--today")
    return day


def parse_date_option(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date YYYY-MM-DD", param_hint=name) from None


def replayed(func: F) -> F:
    """Replay a reading command's output when nothing it depends on changed (`speed.replay`):
    the key holds the command's name, its options, today and the output format."""

    @wraps(func)
    def wrapper(obj: Options, *args: Any, **kwargs: Any) -> Any:
        from relancegit import speed
        from relancegit.speed import replay

        if not speed.enabled():
            return func(obj, *args, **kwargs)

        def run(listing: Listing) -> None:
            obj.listing = listing
            func(obj, *args, **kwargs)

        command = str(click.get_current_context().info_name)
        options = (sorted(kwargs.items()), args, obj.today, obj.format)
        return replay.run_or_replay(find_ledger(obj.ledger), command, options, run)

    return wrapper  # type: ignore[return-value]


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def print_text(renderable: Any) -> None:
    from relancegit.render.tables import console

    console().print(renderable, crop=False)  # a row wider than the terminal wraps, never cut


def report_left_out(result: LoadResult) -> None:
    """Commands other than `check` work on the valid files and say what they left out."""
    if result.left_out:
        count = len(result.left_out)
        click.echo(
            f"relancegit: {count} file{'s' if count > 1 else ''} with errors left out; "
            "run 'relancegit check' for details",
            err=True,
        )


def finish(result: LoadResult) -> None:
    if result.left_out:
        sys.exit(1)


def loaded(obj: Options) -> LoadResult:
    """The ledger's valid files, saying on stderr how many were left out."""
    result = obj.load()
    report_left_out(result)
    return result


def show(obj: Options, result: LoadResult, as_json: Callable[[], Any], as_text: Callable[[], Any]) -> None:
    """Print a view in the chosen format, then exit 1 if files were left out."""
    if obj.format == "json":
        print_json(as_json())
    else:
        print_text(as_text())
    finish(result)


def shown_path(path: Path) -> Path:
    """A path relative to the current folder when it is under it, as printed to people."""
    resolved = path.resolve()
    cwd = Path.cwd().resolve()
    return resolved.relative_to(cwd) if resolved.is_relative_to(cwd) else resolved


@contextlib.contextmanager
def output_errors(path: Path) -> Iterator[None]:
    """An output path that cannot be written (no such folder, read-only, /proc): one line, exit 1."""
    try:
        yield
    except OSError as exc:
        raise RelancegitError(f"cannot write {exc.filename or path}: {exc.strerror or exc}") from None
