"""The entry point of `relancegit import` (`run`): read each file, plan, check, write."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from relancegit.importing.detect import FORMATS, detect_format
from relancegit.importing.outcome import Outcome
from relancegit.importing.plan import index_ledger, make_plan, render
from relancegit.importing.source import Source
from relancegit.importing.write import SourceFile, new_file_problems, write_checked
from relancegit.model import Config, ImportSettings
from relancegit.problems import Problem, RelancegitError, UsageError
from relancegit.read.discover import CONFIG_NAME
from relancegit.read.load import read_parsed, validate_file
from relancegit.write.lock import ledger_write_lock

MAX_INPUT = 512 * 1024 * 1024  # an input file larger than this is surely not an export


def read_source(path: Path, raw: bytes, kind: str, settings: ImportSettings) -> Source:
    """One input file as open invoices, credit notes and located problems."""
    if kind == "csv":
        from relancegit.importing.csvfile import read_csv

        return read_csv(path, raw, settings)
    if kind == "fec":
        from relancegit.importing.fec import read_fec

        return read_fec(path, raw, settings)
    from relancegit.importing.einvoice import read_einvoice

    return read_einvoice(path, raw, kind, settings)


def _settings(root: Path) -> ImportSettings:
    result = validate_file(root / CONFIG_NAME, read_parsed(str(root / CONFIG_NAME))[2], Config, check_id=False)
    if not isinstance(result.value, Config):
        raise RelancegitError(f"{root / CONFIG_NAME} has errors; run 'relancegit check' first")
    return result.value.imports


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_INPUT:
            raise UsageError(f"{path}: larger than {MAX_INPUT // 2**20} MiB, not an invoice export")
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def run(
    root: Path,
    files: Sequence[Path],
    today: date,
    source_format: str | None = None,
    dry_run: bool = False,
    commit: bool = False,
    skip_errors: bool = False,
    guess: bool = False,
) -> Outcome:
    """Import the open invoices of `files` into the ledger at `root` (see docs/import.md)."""
    if not files:
        raise UsageError("name at least one file to import")
    if source_format is not None and source_format not in FORMATS:
        raise UsageError(f"--from: expected one of {', '.join(FORMATS)}")
    if guess:
        return _guess(files)
    if dry_run and commit:
        raise UsageError("--dry-run writes nothing: it cannot --commit")
    settings = _settings(root)
    outcome = Outcome(dry_run=dry_run)
    sources: list[Source] = []
    for path in files:
        raw = _read(path)
        kind = source_format or detect_format(path, raw)
        digest = hashlib.sha256(raw).hexdigest()
        outcome.files.append(SourceFile(path, digest, kind))
        source = read_source(path, raw, kind, settings)
        sources.append(source)
        outcome.notes += source.notes
        outcome.paid += source.paid
    outcome.add_problems(p for s in sources for p in s.problems)
    # Planned, checked and written under one hold of the write lock: what was checked is
    # what is written (the lock is re-entrant: `write_checked` takes it again at no cost).
    with contextlib.nullcontext() if dry_run else ledger_write_lock(root):
        _plan_and_write(root, sources, settings, today, outcome, commit, skip_errors)
    return outcome


def _plan_and_write(
    root: Path,
    sources: list[Source],
    settings: ImportSettings,
    today: date,
    outcome: Outcome,
    commit: bool,
    skip_errors: bool,
) -> None:
    plan = make_plan(root, sources, index_ledger(root), settings)
    outcome.add_problems(plan.problems)
    origin = {f.path: f.path.name for f in outcome.files}
    render(root, plan, origin)
    checked: list[Problem] | None = new_file_problems(root, plan, today)
    outcome.add_problems(checked or [])
    if outcome.errors and skip_errors:
        bad = {(p.file, p.line) for p in outcome.errors}
        for source in sources:
            source.invoices = [i for i in source.invoices if (i.file, i.line) not in bad]
        plan = make_plan(root, sources, index_ledger(root), settings)
        render(root, plan, origin)
        outcome.skipped_errors = True
        checked = None  # another plan: checked again before it is written
    outcome.plan = plan
    if outcome.dry_run or (outcome.errors and not skip_errors) or not (plan.clients or plan.cases):
        return
    errors, done = write_checked(root, plan, today, commit, outcome.commit_message(), checked)
    if errors:
        outcome.add_problems(errors)
        return
    outcome.written = True
    outcome.commit = done


def _guess(files: Sequence[Path]) -> Outcome:
    from relancegit.importing.csvfile import decode, guess_columns, records, sniff_delimiter

    outcome = Outcome(dry_run=True)
    for path in files:
        raw = _read(path)
        text, encoding = decode(raw)
        first = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = sniff_delimiter(first)
        header = next(records(text, delimiter), None)
        headers = [v.strip() for v, _, _ in header[1]] if header else []
        outcome.guesses.append((path, guess_columns(headers), delimiter, encoding, headers))
    return outcome


__all__ = ["Outcome", "read_source", "run"]
