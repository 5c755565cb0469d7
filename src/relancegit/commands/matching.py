"""`relancegit match`: bank statement entries matched to open invoices (`matching`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from relancegit.commands.common import Options, print_json
from relancegit.discover import find_ledger


def match(obj: Options, files: tuple[Path, ...], source_format: str | None, apply: bool, commit: bool) -> None:
    from relancegit import matching

    root = find_ledger(obj.ledger)
    outcome = matching.run(root, files, obj.today, source_format, apply=apply, commit=commit)
    for problem in outcome.problems:
        click.echo(problem.format(), err=True)
    if outcome.left_out:
        click.echo(f"{outcome.left_out} ledger file(s) with errors left out; run 'relancegit check'", err=True)
    if obj.format == "json":
        print_json(outcome.to_json())
    else:
        for line in outcome.text():
            click.echo(line)
    if not outcome.ok:
        sys.exit(1)
