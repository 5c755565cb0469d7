"""`relancegit import`: open invoices from an export into clients and cases (`importing`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from relancegit.commands.common import Options, print_json
from relancegit.importing.detect import FORMATS
from relancegit.read.discover import find_ledger

__all__ = ["FORMATS", "import_invoices"]  # FORMATS: the choices of --from


def import_invoices(
    obj: Options,
    files: tuple[Path, ...],
    source_format: str | None,
    dry_run: bool,
    commit: bool,
    skip_errors: bool,
    guess: bool,
) -> None:
    from relancegit.importing.run import run

    root = find_ledger(obj.ledger)
    outcome = run(
        root, files, obj.today, source_format, dry_run=dry_run, commit=commit, skip_errors=skip_errors, guess=guess
    )
    for problem in outcome.problems:
        click.echo(problem.format(), err=True)
    if obj.format == "json":
        print_json(outcome.to_json(root))
    else:
        for line in outcome.text(root):
            click.echo(line)
    if not outcome.ok:
        sys.exit(1)
