"""`relancegit match`: bank statement entries matched to open invoices (`matching`)."""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from relancegit.commands.common import Options, print_json
from relancegit.problems import RelancegitError
from relancegit.read.discover import find_ledger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from relancegit.matching import LedgerView, Piece
    from relancegit.matching.index import CaseRow
    from relancegit.read.discover import Listing
    from relancegit.speed.cache import FileStamp, LedgerCache

VIEW = "match-index"  # the cached `LedgerView`, keyed by every ledger file's stamp
ROWS = "match-rows"  # each case file's index row, keyed by the files every row depends on


def match(obj: Options, files: tuple[Path, ...], source_format: str | None, apply: bool, commit: bool) -> None:
    from relancegit import matching, speed

    root = find_ledger(obj.ledger)
    matching.check_options(files, source_format, apply, commit)
    digests = _digests(files) if speed.enabled() and not (apply or commit) else None
    if digests is None:
        _match(obj, root, files, source_format, apply, commit)
        return
    from relancegit.matching import Piece
    from relancegit.speed import replay
    from relancegit.speed.pool import Background

    # Without --apply, match only reads: when neither the ledger nor the statements changed
    # (same bytes), its output is replayed, as `check`'s is. Meanwhile, the statements are
    # read in another process, and matched as their entries come (on a replay, it is stopped).
    options = ([str(f) for f in files], digests, source_format, obj.today, obj.format)
    with Background(
        lambda: map(Piece.plain, matching.read_statements(root, obj.today, files, source_format))
    ) as reading:

        def reader() -> Iterator[Piece]:
            return map(Piece.from_plain, reading.items())

        replay.run_or_replay(
            root,
            "match",
            options,
            lambda listing: _match(obj, root, files, source_format, False, False, digests, listing, reader),
        )


def _match(
    obj: Options,
    root: Path,
    files: tuple[Path, ...],
    source_format: str | None,
    apply: bool,
    commit: bool,
    digests: list[str] | None = None,
    listing: Listing | None = None,
    reader: Callable[[], Iterable[Piece]] | None = None,
) -> None:
    from relancegit import matching
    from relancegit.speed.gc import gc_paused

    def view_of(root: Path, today: date) -> LedgerView:
        return _cached_view(root, today, listing)

    # The view, the entries, the proposals and the table make many objects and no cycle: the
    # collector would only scan them again and again.
    with gc_paused():
        outcome = matching.run(
            root, files, obj.today, source_format, apply=apply, commit=commit, view_of=view_of, reader=reader
        )
        if digests is not None and [f.sha256 for f in outcome.files] != digests:
            # What is printed is stored under the statements' digests taken before: not this.
            raise RelancegitError("a bank statement changed while it was read; run 'relancegit match' again")
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


def _digests(files: tuple[Path, ...]) -> list[str] | None:
    """The SHA-256 of each statement's bytes (as `match` records them), None when one cannot
    be read or is too large: the run then says why."""
    from relancegit.matching import MAX_INPUT

    found = []
    for path in files:
        try:
            if path.stat().st_size > MAX_INPUT:
                return None
            found.append(hashlib.sha256(path.read_bytes()).hexdigest())
        except OSError:
            return None
    return found


def _cached_view(root: Path, today: date, listing: Listing | None = None) -> LedgerView:
    """The ledger as matching sees it, kept in the ledger's cache while no ledger file changes
    (`speed.cache`: every file's stamp, the racy ones' contents, relancegit's code, today).

    When some changed, it is rebuilt from `check`'s outcomes, each case file's index row
    reused while the file is unchanged (`matching.checked_view`); if a file changes while
    that runs, from the whole load (`matching.fresh_view`). `listing` is the ledger's files
    when the caller has just listed them."""
    from relancegit import matching, speed
    from relancegit.matching import LedgerView

    if not speed.enabled():
        return matching.fresh_view(root, today)
    from relancegit.read.discover import ledger_file_names
    from relancegit.speed.cache import LedgerCache, contents_digest, input_signature

    if listing is None:
        listing = ledger_file_names(root)
    # The view is kept as marshal bytes (`LedgerView.dumps`), whose format is this Python's.
    key, racy = input_signature(root, VIEW, today, marshal.version, sys.version_info[:2], listing=listing)
    store = LedgerCache(root)
    hit = store.get_result(VIEW, key)  # a stale view is not read: its key is read first
    if isinstance(hit, tuple) and len(hit) == 2 and contents_digest(list(hit[1])) == hit[1]:
        with contextlib.suppress(ValueError):  # not a view: built again
            return LedgerView.loads(hit[0])
    before = contents_digest(racy)
    rows = _RowCache(root, today, store, listing)
    if rows.missing(listing.cases) > max(_FEW_ROWS, len(listing.cases) // 10):
        # Most rows to compute (first run, a new day, another version): the whole load is
        # cheaper than check's outcomes plus a model for most files.
        view, built = matching.loaded_view(root, today)
        rows.computed = len(built)
    else:
        view, built = matching.checked_view(root, today, listing, rows.reuse)
    if before is None or contents_digest(racy) != before or not rows.steady():
        return matching.fresh_view(root, today)  # changed while we read: the load, whole
    rows.save(built)
    store.put_result(VIEW, key, (view.dumps(), before))
    return view


class _RowCache:
    """Index rows by case file, reused while the file's stamp is the one it had when its row
    was computed, and not racy (changed within the file system's time resolution). Every row
    also depends on the configuration, the clients' files, today and relancegit's code: the
    whole set is kept under a key of those, and dropped when one changes."""

    def __init__(self, root: Path, today: date, store: LedgerCache, listing: Listing) -> None:
        from relancegit.read.discover import CONFIG_NAME
        from relancegit.speed.cache import signature

        self.store = store
        self.paths = [str(root / CONFIG_NAME), *listing.clients, *listing.cases]
        self.before = _stamps(self.paths)
        self.now_ns = time.time_ns()
        shared = self.paths[: 1 + len(listing.clients)]  # the configuration and the clients
        context = {p: self.before[p] for p in shared if p in self.before}
        racy = any(s.racy(self.now_ns) for s in context.values())
        self.key = None if racy else signature(context, ROWS, today)
        kept = store.get_result(ROWS, self.key) if self.key is not None else None
        self.kept: dict[str, tuple[FileStamp, CaseRow]] = kept if isinstance(kept, dict) else {}
        self.computed = 0

    def _kept(self, path: str) -> CaseRow | None:
        kept = self.kept.get(path)
        stamp = self.before.get(path)
        if kept is not None and stamp is not None and kept[0] == stamp and not stamp.racy(self.now_ns):
            return kept[1]
        return None

    def missing(self, paths: list[str]) -> int:
        """How many of these case files have no row to reuse."""
        return sum(1 for path in paths if self._kept(path) is None)

    def reuse(self, path: str) -> CaseRow | None:
        """The row of the case file at `path`, if it is unchanged since it was computed."""
        row = self._kept(path)
        if row is None:
            self.computed += 1
        return row

    def steady(self) -> bool:
        """No ledger file changed since the stamps were taken."""
        return _stamps(self.paths) == self.before

    def save(self, rows: dict[str, CaseRow]) -> None:
        """Keep the rows of files out of the racy window: when none were kept, or enough were
        computed again to be worth writing (a few rows cost less to compute than the whole
        set to write)."""
        if self.key is None or not rows or (self.kept and self.computed <= max(_FEW_ROWS, len(rows) // 100)):
            return
        stamps = self.before
        self.store.put_result(
            ROWS,
            self.key,
            {p: (stamps[p], row) for p, row in rows.items() if p in stamps and not stamps[p].racy(self.now_ns)},
        )


_FEW_ROWS = 20


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
