"""`relancegit match`: bank statement entries (camt.053, OFX, CSV) matched to open invoices,
and, with `--apply`, recorded as payments.

Layer: one entry point, `run`, called by the command line. Each reader turns a file into a
`Statement` of entries (`camt`, `ofx`, `csvfile`); `match` proposes, for each entry, the
payments it would record with a confidence class and a reason; `apply` records the
confident ones under the write lock, all or none. The clock is never read here: `today`
is given.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from relancegit.matching.apply import events_of, write_events
from relancegit.matching.detect import FORMATS, detect_format
from relancegit.matching.match import Index, index_ledger, propose
from relancegit.matching.outcome import Outcome, StatementFile
from relancegit.matching.statement import Statement
from relancegit.model import MatchSettings
from relancegit.problems import RelancegitError, UsageError
from relancegit.read.discover import CONFIG_NAME
from relancegit.read.load import load_ledger, read_setting
from relancegit.write.lock import ledger_write_lock
from relancegit.write.record import git_user

MAX_INPUT = 256 * 1024 * 1024  # a statement larger than this is surely not one


def read_statement(path: Path, raw: bytes, kind: str, settings: MatchSettings) -> Statement:
    """One statement file as entries and located problems."""
    if kind == "camt053":
        from relancegit.matching.camt import read_camt

        return read_camt(path, raw)
    if kind == "ofx":
        from relancegit.matching.ofx import read_ofx

        return read_ofx(path, raw)
    from relancegit.matching.csvfile import read_csv

    return read_csv(path, raw, settings)


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_INPUT:
            raise UsageError(f"{path}: larger than {MAX_INPUT // 2**20} MiB, not a bank statement")
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def fresh_index(root: Path, today: date) -> tuple[Index, int]:
    """The index of the ledger's valid files, and how many files were left out."""
    loaded = load_ledger(root, today)
    return index_ledger(loaded.ledger, today), len(loaded.left_out)


def run(
    root: Path,
    files: Sequence[Path],
    today: date,
    source_format: str | None = None,
    apply: bool = False,
    commit: bool = False,
    index_of: Callable[[Path, date], tuple[Index, int]] | None = None,
) -> Outcome:
    """Match the credits of the statements `files` to the ledger at `root` (docs/match.md).

    `index_of(root, today)` gives the ledger's index and how many files were left out (the
    command layer passes one that caches it); `--apply` always indexes the ledger afresh,
    under the write lock."""
    if not files:
        raise UsageError("name at least one bank statement")
    if source_format is not None and source_format not in FORMATS:
        raise UsageError(f"--from: expected one of {', '.join(FORMATS)}")
    if commit and not apply:
        raise UsageError("--commit commits what --apply records: give both")
    setting = read_setting(root, today)
    if not setting.config_valid:
        raise RelancegitError(f"{root / CONFIG_NAME} has errors; run 'relancegit check' first")
    outcome = Outcome(apply=apply)
    statements = []
    for path in files:
        raw = _read(path)
        kind = source_format or detect_format(raw)
        outcome.files.append(StatementFile(path, hashlib.sha256(raw).hexdigest(), kind))
        statement = read_statement(path, raw, kind, setting.config.match)
        outcome.problems += statement.problems
        statements.append(statement)
    # Matched, checked and written under one hold of the write lock: what was matched is what
    # is recorded.
    if not apply:
        index, outcome.left_out = (index_of or fresh_index)(root, today)
        outcome.proposals = propose((e for s in statements for e in s.entries), index, setting.config.currency)
        return outcome
    with ledger_write_lock(root) as state:
        loaded = load_ledger(root, today)
        outcome.left_out = len(loaded.left_out)
        index = index_ledger(loaded.ledger, today)
        outcome.proposals = propose((e for s in statements for e in s.entries), index, setting.config.currency)
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


__all__ = ["Index", "Outcome", "fresh_index", "read_statement", "run"]
