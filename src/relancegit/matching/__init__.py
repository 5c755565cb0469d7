"""`relancegit match`: bank statement entries (camt.053, OFX, CSV) matched to open invoices,
and, with `--apply`, recorded as payments.

Layer: one entry point, `run`, called by the command line. Each reader turns a file into a
`Statement` of entries (`camt`, `ofx`, `csvfile`); `index` turns the ledger into plain data
that `match` proposes from, for each entry, the payments it would record with a confidence
class and a reason; `apply` records the confident ones under the write lock, all or none.
The clock is never read here: `today` is given.

Without `--apply`, a run given a cached `LedgerView` imports neither the model (pydantic)
nor the engine nor anything that writes: those are imported where they are used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from relancegit.matching.detect import FORMATS, detect_format
from relancegit.matching.match import Index, LedgerView, Prepared, prepare, propose
from relancegit.matching.outcome import Outcome, StatementFile
from relancegit.matching.statement import Entry, Statement
from relancegit.problems import Problem, RelancegitError, UsageError
from relancegit.read.discover import CONFIG_NAME

if TYPE_CHECKING:
    from relancegit.matching.index import CaseRow
    from relancegit.model import MatchSettings
    from relancegit.read.discover import Listing

MAX_INPUT = 256 * 1024 * 1024  # a statement larger than this is surely not one


def read_statement(path: Path, raw: bytes, kind: str, settings: Callable[[], MatchSettings]) -> Statement:
    """One statement file as entries and located problems. `settings()` gives the
    configuration's `match` settings; only CSV needs them."""
    if kind == "camt053":
        from relancegit.matching.camt import read_camt

        return read_camt(path, raw)
    if kind == "ofx":
        from relancegit.matching.ofx import read_ofx

        return read_ofx(path, raw)
    from relancegit.matching.csvfile import read_csv

    return read_csv(path, raw, settings())


def read_in_parts(statement: Statement, raw: bytes, settings: Callable[[], MatchSettings]) -> Iterator[list[Entry]]:
    """The entries of `statement`'s file, a few hundred at a time as they are read (camt.053;
    the other formats at once); its problems are added to `statement`."""
    if statement.kind == "camt053":
        from relancegit.matching.camt import iter_camt

        yield from iter_camt(statement, raw)
        return
    whole = read_statement(statement.file, raw, statement.kind, settings)
    statement.problems += whole.problems
    if whole.entries:
        yield whole.entries


class Piece(NamedTuple):
    """A part of the statements of a run, as read: entries (prepared for matching), or the end
    of a file (its digest and format, and its problems)."""

    entries: list[Prepared]
    file: StatementFile | None = None
    problems: list[Problem] = []  # noqa: RUF012 (a NamedTuple's default: never changed)

    def plain(self) -> tuple[Any, ...]:
        """The piece as plain values (str, int, tuples), to send to another process: pickled
        and unpickled several times faster than the objects (no date, Decimal or Path)."""
        entries = self.entries
        file = str(entries[0].entry.file) if entries else ""
        return (
            file,
            [
                (
                    e.line,
                    e.date.toordinal(),
                    str(e.amount),
                    e.currency,
                    e.ref,
                    e.counterparty,
                    e.iban,
                    e.remittance,
                    e.end_to_end,
                    e.reversal,
                    e.return_reason,
                    e.original_ref,
                    p.cents,
                    p.words,
                    p.name,
                    p.amount_text,
                )
                for p in entries
                for e in (p.entry,)
            ],
            self.file,
            self.problems,
        )

    @classmethod
    def from_plain(cls, plain: tuple[Any, ...]) -> Piece:
        """The piece `plain()` gave."""
        file_name, entries, file, problems = plain
        path = Path(file_name)
        ordinal = date.fromordinal
        entry, prepared = Entry._make, Prepared._make  # tuple.__new__: no argument parsing
        return cls(
            [
                prepared((entry((path, line, ordinal(day), Decimal(amount), *rest)), cents, words, name, text))
                for line, day, amount, *rest, cents, words, name, text in entries
            ],
            file,
            problems,
        )


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_INPUT:
            raise UsageError(f"{path}: larger than {MAX_INPUT // 2**20} MiB, not a bank statement")
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def fresh_view(root: Path, today: date) -> LedgerView:
    """The ledger as `match` sees it, loaded whole and indexed now."""
    return loaded_view(root, today)[0]


def loaded_view(root: Path, today: date) -> tuple[LedgerView, dict[str, CaseRow]]:
    """`fresh_view`, and each kept case file's index row by path."""
    from relancegit.matching.index import build_index, case_row
    from relancegit.read.load import load_ledger, read_setting

    setting = read_setting(root, today)
    if not setting.config_valid:
        return LedgerView(False, setting.config.currency, Index(), 0), {}
    loaded = load_ledger(root, today)
    ledger = loaded.ledger
    rows = {str(ledger.case_files[case.id]): case_row(ledger, case, today) for case in ledger.cases.values()}
    view = LedgerView(True, setting.config.currency, build_index(rows.values()), len(loaded.left_out))
    return view, rows


def checked_view(
    root: Path, today: date, listing: Listing, reuse: Callable[[str], CaseRow | None]
) -> tuple[LedgerView, dict[str, CaseRow]]:
    """The same view as `fresh_view`, without validating every case into a model: which files
    are left out comes from `check`'s problems (`mapreduce.check_ledger`, which keeps each
    case's outcome by file), the rows of the case files `reuse(path)` gives are reused, and
    only the others are validated (`load.validate_case`) and indexed. The kept files are those
    of `load.assemble`: no error, and a client without error. Also returns each kept case
    file's row, by path."""
    from relancegit.matching.index import build_index, case_row
    from relancegit.model import Ledger
    from relancegit.problems import Severity
    from relancegit.read.load import parse_raw, read_raw, read_setting, validate_case
    from relancegit.read.mapreduce import check_ledger

    setting = read_setting(root, today, listing)
    if not setting.config_valid:
        return LedgerView(False, setting.config.currency, Index(), 0), {}
    checked = check_ledger(root, today, listing=listing)
    bad = {p.file for p in checked.problems if p.severity == Severity.ERROR}
    clients = {c.id: c for path, c in setting.context.candidates.clients if path not in bad}
    ledger = Ledger(root=root, config=setting.config, clients=clients, cases={})
    kept: dict[str, CaseRow] = {}
    rows: dict[str, CaseRow] = {}
    for path in listing.cases:
        file = Path(path)
        if file in bad:
            continue
        row = reuse(path)
        if row is None:
            _, raw, problem = read_raw(path)
            case = validate_case(setting, file, parse_raw(raw) if raw is not None else problem).case
            if case is None or case.client not in clients:
                continue  # no model, or its client left out: left out, as by the load
            row = case_row(ledger, case, today)
        if row.client in clients:
            kept[row.case] = row
            rows[path] = row
    return LedgerView(True, setting.config.currency, build_index(kept.values()), len(bad)), rows


def check_options(files: Sequence[Path], source_format: str | None, apply: bool, commit: bool) -> None:
    """Refuse a run that cannot be one (usage errors)."""
    if not files:
        raise UsageError("name at least one bank statement")
    if source_format is not None and source_format not in FORMATS:
        raise UsageError(f"--from: expected one of {', '.join(FORMATS)}")
    if commit and not apply:
        raise UsageError("--commit commits what --apply records: give both")


def run(
    root: Path,
    files: Sequence[Path],
    today: date,
    source_format: str | None = None,
    apply: bool = False,
    commit: bool = False,
    view_of: Callable[[Path, date], LedgerView] | None = None,
    reader: Callable[[], Iterable[Piece]] | None = None,
) -> Outcome:
    """Match the credits of the statements `files` to the ledger at `root` (docs/match.md).

    `view_of(root, today)` gives the ledger as matching sees it (the command layer passes one
    that caches it); `reader()` gives `read_statements(root, today, files, source_format)` (the
    command layer passes one read in another process meanwhile). Entries are matched as they
    come. `--apply` reads the statements first, then loads and indexes the ledger afresh,
    under the write lock."""
    check_options(files, source_format, apply, commit)
    if apply:
        return _apply(root, files, today, source_format, commit)
    view = (view_of or fresh_view)(root, today)
    if not view.config_valid:
        raise RelancegitError(f"{root / CONFIG_NAME} has errors; run 'relancegit check' first")
    outcome = Outcome(apply=False)
    outcome.left_out = view.left_out
    pieces = reader() if reader is not None else read_statements(root, today, files, source_format)
    outcome.proposals = propose(_entries(outcome, pieces), view.index, view.currency)
    return outcome


def read_statements(root: Path, today: date, files: Sequence[Path], source_format: str | None) -> Iterator[Piece]:
    """The statement files read in order, as pieces: their entries a few hundred at a time as
    they are read (`match.prepare`d: what matching needs of them that does not depend on the
    ledger is computed where they are read), then each file's digest, format and problems.
    The ledger's configuration is read only for a CSV statement's mapping."""
    return _pieces(files, source_format, lambda: _match_settings(root, today))


def _pieces(files: Sequence[Path], source_format: str | None, settings: Callable[[], MatchSettings]) -> Iterator[Piece]:
    for path in files:
        raw = _read(path)
        kind = source_format or detect_format(raw)
        statement = Statement(path, kind)
        for part in read_in_parts(statement, raw, settings):
            yield Piece([prepare(entry) for entry in part])
        yield Piece([], StatementFile(path, hashlib.sha256(raw).hexdigest(), kind), statement.problems)


def _entries(outcome: Outcome, pieces: Iterable[Piece]) -> Iterator[Prepared]:
    """The entries of the pieces, in order; each file's digest and problems added to the
    outcome at its end."""
    for piece in pieces:
        yield from piece.entries
        if piece.file is not None:
            outcome.files.append(piece.file)
            outcome.problems += piece.problems


def _match_settings(root: Path, today: date) -> MatchSettings:
    from relancegit.read.load import read_setting

    return read_setting(root, today).config.match


def _apply(root: Path, files: Sequence[Path], today: date, source_format: str | None, commit: bool) -> Outcome:
    from relancegit.matching.apply import events_of, write_events
    from relancegit.matching.index import index_ledger
    from relancegit.read.load import load_ledger, read_setting
    from relancegit.write.lock import ledger_write_lock
    from relancegit.write.record import git_user

    setting = read_setting(root, today)
    if not setting.config_valid:
        raise RelancegitError(f"{root / CONFIG_NAME} has errors; run 'relancegit check' first")
    outcome = Outcome(apply=True)
    entries = list(_entries(outcome, _pieces(files, source_format, lambda: setting.config.match)))
    # Matched, checked and written under one hold of the write lock: what was matched is what
    # is recorded.
    with ledger_write_lock(root) as state:
        loaded = load_ledger(root, today)
        outcome.left_out = len(loaded.left_out)
        index = index_ledger(loaded.ledger, today)
        outcome.proposals = propose(entries, index, setting.config.currency)
        if not outcome.ok:
            return outcome
        events = events_of(outcome.proposals, setting.shift, git_user(root))
        if not events:
            return outcome
        message = outcome.commit_message(
            sum(e["type"] == "payment" for es in events.values() for e in es),
            sum(e["type"] == "void" for es in events.values() for e in es),
        )
        errors, written = write_events(setting, state, dict(loaded.ledger.case_files), events, commit, message)
        outcome.problems += errors
        outcome.written = written
    return outcome


__all__ = [
    "Index",
    "LedgerView",
    "Outcome",
    "Piece",
    "check_options",
    "checked_view",
    "fresh_view",
    "loaded_view",
    "read_in_parts",
    "read_statement",
    "read_statements",
    "run",
]
