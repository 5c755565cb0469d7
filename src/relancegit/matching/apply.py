"""Record the confident proposals: `payment` events (and the `void` of a reversed payment)
appended to their case files, checked, all or none, optionally in one commit.

Layer: the one place where `match` writes. Built from `record`'s pieces: the splice that
keeps every other byte of a case file (`record.appended`), the checks of `check` on the
new bytes in memory (`record.case_problems`), atomic writes, and the import's one commit of
several files (`importing.write.commit_files`). Runs under the ledger's write lock, held by the
caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from relancegit.importing.write import commit_files
from relancegit.matching.match import Proposal
from relancegit.problems import Problem, RelancegitError, Severity
from relancegit.read.handles import refuse_symlink
from relancegit.read.load import Setting
from relancegit.write.lock import WriteState
from relancegit.write.record import (
    appended,
    atomic_write,
    case_problems,
    ensure_committable,
    event_fields,
    read_case,
)
from relancegit.write.splice import LayoutError


@dataclass(frozen=True)
class Written:
    payments: int
    voids: int
    files: tuple[Path, ...]
    commit: str | None


def events_of(proposals: Sequence[Proposal], shift: int, by: str | None) -> dict[str, list[dict[str, Any]]]:
    """The events to append, by case id, in the statement's order."""
    events: dict[str, list[dict[str, Any]]] = {}
    for proposal in proposals:
        if not proposal.confident:
            continue
        entry = proposal.entry
        day = entry.date - timedelta(days=shift)  # a living demo's files are written as of demo_anchor
        if proposal.void is not None:
            case, position = proposal.void
            why = f": {entry.return_reason}" if entry.return_reason else ""
            reason = f"reversed by the bank, entry {entry.ref}{why}"
            events.setdefault(case, []).append(
                _ordered({"date": day, "type": "void", "event": position, "reason": reason, "by": by})
            )
            continue
        for payment in proposal.payments:
            event = {
                "date": day,
                "type": "payment",
                "amount": payment.amount,
                "invoice": payment.invoice,
                "ref": entry.ref,
                "by": by,
            }
            events.setdefault(payment.case, []).append(_ordered(event))
    return events


def _ordered(event: dict[str, Any]) -> dict[str, Any]:
    return {k: event[k] for k in event_fields(str(event["type"])) if event.get(k) is not None}


def write_events(
    setting: Setting,
    state: WriteState,
    files: dict[str, Path],
    events: dict[str, list[dict[str, Any]]],
    commit: bool,
    message: str,
) -> tuple[list[Problem], Written | None]:
    """Append `events` to their case files, checked with the rules of `check`, all or none.

    Returns the errors that stopped the write (nothing written), else what was written."""
    changes: list[tuple[Path, bytes, bytes]] = []
    errors: list[Problem] = []
    for case_id, case_events in events.items():
        path = files[case_id]
        refuse_symlink(path)
        old = read_case(path)
        new = old
        for event in case_events:
            try:
                new, _, _ = appended(new, event, None)
            except LayoutError as exc:
                raise RelancegitError(f"{path}: {exc}; nothing was recorded") from None
        after = case_problems(setting, path, new)
        before = {p.message for p in case_problems(setting, path, old)} if after else set()
        errors += [p for p in after if p.severity == Severity.ERROR and p.message not in before]
        changes.append((path, old, new))
    if errors:
        return errors, None
    if commit:
        for path, _, _ in changes:
            ensure_committable(path)
    done: list[tuple[Path, bytes]] = []
    try:
        for path, old, new in changes:
            atomic_write(path, new, scratch=state.scratch)
            done.append((path, old))
        paths = [p for p, _, _ in changes]
        made = commit_files(setting.root, paths, message, state.scratch) if commit and paths else None
    except BaseException:
        for path, old in done:  # all or none: the files as they were
            atomic_write(path, old, scratch=state.scratch)
        raise
    count = [e["type"] for es in events.values() for e in es]
    return [], Written(count.count("payment"), count.count("void"), tuple(p for p, _, _ in changes), made)
