"""`relancegit match`: bank statement entries matched to open invoices (`matching`)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from relancegit.commands.common import Options, print_json
from relancegit.read.discover import find_ledger

if TYPE_CHECKING:
    from relancegit.matching import LedgerView
    from relancegit.matching.index import CaseRow
    from relancegit.model import Ledger
    from relancegit.speed.cache import FileStamp, LedgerCache

VIEW = "match-index"  # the cached `LedgerView`, keyed by every ledger file's stamp
ROWS = "match-rows"  # each case file's index row, keyed by the files every row depends on


def match(obj: Options, files: tuple[Path, ...], source_format: str | None, apply: bool, commit: bool) -> None:
    from relancegit import matching

    root = find_ledger(obj.ledger)
    outcome = matching.run(root, files, obj.today, source_format, apply=apply, commit=commit, view_of=_cached_view)
    for problem in outcome.problems:
        click.echo(problem.format(), err=True)
    if outcome.left_out:
        click.echo(f"{outcome.left_out} ledger file(s) with errors left out; run 'relancegit check'", err=True)
    if obj.format == "json":
        print_json(outcome.to_json())
    else:
        click.echo("\n".join(outcome.text()))
    if not outcome.ok:
        sys.exit(1)


def _cached_view(root: Path, today: date) -> LedgerView:
    """The ledger as matching sees it, kept in the ledger's cache while no ledger file changes
    (`speed.cache`: every file's stamp, the racy ones' contents, relancegit's code, today).
    When some changed, the index rows of the unchanged case files are reused."""
    from relancegit import matching, speed

    if not speed.enabled():
        return matching.fresh_view(root, today)
    from relancegit.speed.cache import LedgerCache, contents_digest, input_signature

    key, racy = input_signature(root, VIEW, today)
    store = LedgerCache(root)
    hit = store.get_result(VIEW, key)
    if isinstance(hit, tuple) and len(hit) == 2 and contents_digest(list(hit[1])) == hit[1]:
        view: LedgerView = hit[0]
        return view
    before = contents_digest(racy)
    rows = _RowCache(root, today, store)
    view = matching.fresh_view(root, today, rows.rows_of)
    rows.save()
    if before is not None and contents_digest(racy) == before:  # unchanged while we read
        store.put_result(VIEW, key, (view, before))
    return view


class _RowCache:
    """Index rows by case file, reused while the file's stamp is the same before and after the
    ledger is loaded, and not racy (changed within the file system's time resolution). Every
    row also depends on the configuration, the clients' files, today and relancegit's code:
    the whole set is keyed by those, and dropped when one changes."""

    def __init__(self, root: Path, today: date, store: LedgerCache) -> None:
        from relancegit.read.discover import CONFIG_NAME, ledger_file_names
        from relancegit.speed.cache import signature

        self.store = store
        listing = ledger_file_names(root)
        self.cases = list(listing.cases)
        self.before = _stamps(self.cases)
        context = _stamps([str(root / CONFIG_NAME), *listing.clients])
        now_ns = time.time_ns()
        self.key = None if any(s.racy(now_ns) for s in context.values()) else signature(context, ROWS, today)
        kept = store.get_result(ROWS, self.key) if self.key is not None else None
        self.kept: dict[str, tuple[FileStamp, CaseRow]] = kept if isinstance(kept, dict) else {}
        self.fresh: dict[str, tuple[FileStamp, CaseRow]] = {}

    def rows_of(self, ledger: Ledger, today: date) -> Iterator[CaseRow]:
        from relancegit.matching.index import case_row

        after = _stamps(self.cases)
        now_ns = time.time_ns()
        for case_id, case in ledger.cases.items():
            path = str(ledger.case_files[case_id])
            stamp = self.before.get(path)
            steady = stamp is not None and after.get(path) == stamp and not stamp.racy(now_ns)
            kept = self.kept.get(path)
            if steady and kept is not None and kept[0] == stamp and kept[1].case == case_id:
                row = kept[1]
            else:
                row = case_row(ledger, case, today)
            if steady and stamp is not None:
                self.fresh[path] = (stamp, row)
            yield row

    def save(self) -> None:
        if self.key is not None and self.fresh != self.kept:
            self.store.put_result(ROWS, self.key, self.fresh)


def _stamps(paths: list[str]) -> dict[str, FileStamp]:
    from relancegit.speed.cache import FileStamp

    found = {}
    for path in paths:
        try:
            # String paths and os.stat: Path objects cost measurably at 10,000 files.
            found[path] = FileStamp.of(os.stat(path))  # noqa: PTH116
        except OSError:
            continue
    return found
