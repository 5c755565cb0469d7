"""The `relancegit` command: parse options, call one core function, print its result.

Layer: the edge. The only module importing click and the only one reading the clock
(`--today`, else RELANCEGIT_TODAY, else the current date in Europe/Paris).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from relancegit import __version__
from relancegit.load import LoadResult, find_ledger, load_ledger
from relancegit.problems import RelancegitError, Severity, UsageError

ENV_TODAY = "RELANCEGIT_TODAY"
PARIS = ZoneInfo("Europe/Paris")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Options:
    ledger: str | None
    today: date
    format: str

    _loaded: LoadResult | None = None

    def load(self) -> LoadResult:
        if self._loaded is None:
            self._loaded = load_ledger(find_ledger(self.ledger), self.today)
        return self._loaded


def _parse_today(value: str | None) -> date:
    if value is None:
        return datetime.now(PARIS).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date YYYY-MM-DD", param_hint="--today") from None


def _format_option(func: F) -> F:
    """`--format` on each reading command too, overriding the global one when given."""

    @click.option(
        "--format", "fmt", type=click.Choice(["text", "json"]), default=None,
        help="Output for people (text) or programs (json).",
    )
    @click.pass_context
    @wraps(func)
    def wrapper(ctx: click.Context, *args: Any, fmt: str | None, **kwargs: Any) -> Any:
        if fmt:
            ctx.obj.format = fmt
        return ctx.invoke(func, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Group(click.Group):
    """Turns fatal conditions into messages and exit codes, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RelancegitError as exc:
            click.echo(f"relancegit: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--ledger", metavar="PATH", help="Ledger folder (default: $RELANCEGIT_LEDGER, else ledger/ found upwards).")
@click.option("--today", metavar="DATE", envvar=ENV_TODAY, help="Compute as of this date, YYYY-MM-DD (default: today in Europe/Paris).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output for people or programs.")
@click.version_option(__version__, prog_name="relancegit")
@click.pass_context
def main(ctx: click.Context, ledger: str | None, today: str | None, fmt: str) -> None:
    """relancegit: a plain-text, git-based collections ledger (recouvrement de créances)."""
    ctx.obj = Options(ledger=ledger, today=_parse_today(today), format=fmt)


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _report_left_out(result: LoadResult) -> None:
    """Commands other than `check` work on the valid files and say what they left out."""
    if result.left_out:
        count = len(result.left_out)
        click.echo(
            f"relancegit: {count} file{'s' if count > 1 else ''} with errors left out; "
            "run 'relancegit check' for details",
            err=True,
        )


def _finish(result: LoadResult) -> None:
    if result.left_out:
        sys.exit(1)


# --- check, schema, init -------------------------------------------------------------------


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@_format_option
@click.pass_obj
def check(obj: Options, strict: bool) -> None:
    """Validate the ledger: schema, references and legal lints, with file:line:col."""
    result = obj.load()
    problems = [p.as_error() if strict else p for p in result.problems]
    errors = [p for p in problems if p.severity == Severity.ERROR]
    warnings = [p for p in problems if p.severity == Severity.WARNING]
    if obj.format == "json":
        _print_json({
            "ok": not errors,
            "errors": [p.to_json() for p in errors],
            "warnings": [p.to_json() for p in warnings],
            "counts": result.counts,
        })
    else:
        for problem in problems:
            click.echo(problem.format(), err=True)
        counts = result.counts
        summary = f"{counts['cases']} cases, {counts['clients']} clients, {counts['events']} events"
        if errors:
            click.echo(f"{len(errors)} error(s), {len(warnings)} warning(s) in {summary}", err=True)
        else:
            suffix = f", {len(warnings)} warning(s)" if warnings else ""
            click.echo(f"ok: {summary}{suffix}")
    sys.exit(1 if errors else 0)


@main.command()
@click.option("-o", "--output", "output", type=click.Path(file_okay=False, path_type=Path), help="Write one .schema.json file per kind into this folder.")
def schema(output: Path | None) -> None:
    """JSON Schemas of the three file kinds (for editors with a YAML language server)."""
    from relancegit.scaffold import json_schemas, write_schemas

    if output is None:
        _print_json(json_schemas())
        return
    for path in write_schemas(output):
        click.echo(str(path))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Add the demo ledger (a fictional French SME).")
def init(directory: Path, demo: bool) -> None:
    """Scaffold a ledger repository in DIRECTORY."""
    from relancegit.scaffold import init_repository

    written = init_repository(directory, demo=demo)
    click.echo(f"initialised {directory} ({len(written)} files)")
    click.echo(f"next: cd {directory} && relancegit check")


def run() -> None:  # pragma: no cover - console entry point alias
    main(prog_name="relancegit")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["main", "Options", "UsageError", "os"]
