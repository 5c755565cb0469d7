"""`relancegit match`: bank statement entries matched to open invoices (`matching`)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from relancegit.commands.common import Options, print_json
from relancegit.read.discover import find_ledger

if TYPE_CHECKING:
    from relancegit.matching import Index


def match(obj: Options, files: tuple[Path, ...], source_format: str | None, apply: bool, commit: bool) -> None:
    from relancegit import matching

    root = find_ledger(obj.ledger)
    outcome = matching.run(root, files, obj.today, source_format, apply=apply, commit=commit, index_of=_cached_index)
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


def _cached_index(root: Path, today: date) -> tuple[Index, int]:
    """The ledger's matching index, kept in the ledger's cache while no ledger file changes
    (`speed.cache`: every file's stamp, the racy ones' contents, relancegit's code, today)."""
    from relancegit import matching, speed

    if not speed.enabled():
        return matching.fresh_index(root, today)
    from relancegit.speed.cache import LedgerCache, contents_digest, input_signature

    key, racy = input_signature(root, "match-index", today)
    store = LedgerCache(root)
    hit = store.get_result("match-index", key)
    if isinstance(hit, tuple) and len(hit) == 3 and contents_digest(list(hit[2])) == hit[2]:
        return hit[0], hit[1]
    before = contents_digest(racy)
    index, left_out = matching.fresh_index(root, today)
    if before is not None and contents_digest(racy) == before:  # unchanged while we read
        store.put_result("match-index", key, (index, left_out, before))
    return index, left_out
