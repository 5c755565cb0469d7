"""What commits changed in a case, in ledger terms: `history CASE` and the diff `audit` uses.

Layer: git history -> ledger changes. `diff_versions` compares two parsed versions of a case
file (events added, removed, modified; invoice and other field changes) and flags what breaks
the append-only rule (README, "Git is the audit log"). `case_history` reads the commits of one case with one
`git log --follow` and one `git cat-file --batch`. Nothing here writes files.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from relancegit.git import gitlog
from relancegit.git.gitlog import NULL_BLOB, BlobReader, Commit
from relancegit.model import EVENT_TYPES, Case, Installment, Invoice
from relancegit.problems import BadDate
from relancegit.read.handles import find_case_file
from relancegit.read.load import parse_data
from relancegit.read.yamlsafe import YamlProblem

# Invoice fields that fix what is owed: changing them rewrites the debt (README, "Git is the audit log").
INVOICE_KEY_FIELDS = ("number", "amount", "due")
BACKDATED_DAYS = 30


@dataclass(frozen=True)
class LedgerChange:
    kind: str  # created, deleted, event-added, event-removed, event-modified, event-inserted, event-completed,
    # invoice-added, invoice-removed, invoice-changed, field-changed, unreadable
    text: str
    violation: bool = False
    event: Any = None  # the added event, for the back-dating check

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "description": self.text, "violation": self.violation}


# --- reading a version -----------------------------------------------------------------


class Unreadable(ValueError):
    """A revision of a case file that does not parse: reported, never fatal."""


def parse_version(raw: bytes) -> dict[str, Any]:
    """The parsed mapping of one revision of a case file."""
    try:
        data = parse_data(raw)
    except YamlProblem as exc:
        line = getattr(exc, "line", None)
        raise Unreadable(f"{exc}" + (f" (line {line})" if line else "")) from None
    if not isinstance(data, dict):
        raise Unreadable("not a mapping of keys")
    return data


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


# --- comparing two versions -------------------------------------------------------------


def diff_versions(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[LedgerChange]:
    """What changed from `old` to `new` (None: the file did not exist / was deleted)."""
    if old is None and new is None:
        return []
    if new is None:
        assert old is not None
        return [
            LedgerChange(
                "deleted",
                f"case file deleted ({len(_list(old, 'invoices'))} invoice(s), {len(_list(old, 'events'))} event(s))",
                violation=True,
            )
        ]
    changes: list[LedgerChange] = []
    if old is None:
        changes.append(
            LedgerChange(
                "created",
                f"case created: {len(_list(new, 'invoices'))} invoice(s), {len(_list(new, 'events'))} event(s)",
            )
        )
        old = {}
    else:
        changes += _field_changes(old, new)
    changes += invoice_changes(_list(old, "invoices"), _list(new, "invoices"))
    changes += event_changes(_list(old, "events"), _list(new, "events"))
    return changes


def event_changes(old: Sequence[Any], new: Sequence[Any]) -> list[LedgerChange]:
    """Events are append-only: anything but new events after the old ones is a violation."""
    matcher = difflib.SequenceMatcher(None, [comparable(e) for e in old], [comparable(e) for e in new], autojunk=False)
    changes: list[LedgerChange] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "replace":
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                if i < i2 and j < j2 and receipt_added(old[i], new[j]):
                    day = new[j].get("received")
                    changes.append(
                        LedgerChange("event-completed", f"event {i + 1} ({describe_event(old[i])}): received on {day}")
                    )
                elif i < i2 and j < j2:
                    changes.append(
                        LedgerChange(
                            "event-modified",
                            f"event {i + 1} ({describe_event(old[i])}) modified: {field_diff(old[i], new[j])}",
                            violation=True,
                        )
                    )
                elif i < i2:
                    changes.append(_removed(i, old[i]))
                else:
                    changes.append(_inserted(j, new[j], at_end=i2 == len(old)))
        elif op == "delete":
            changes.extend(_removed(i, old[i]) for i in range(i1, i2))
        elif op == "insert":
            changes.extend(_inserted(j, new[j], at_end=i1 == len(old)) for j in range(j1, j2))
    return changes


# The one change to a committed event that is an append of information: the acknowledgement of
# receipt of a registered letter comes back days after the letter was recorded.
RECEIPT_KEY = "received"


def receipt_added(old: Any, new: Any) -> bool:
    """`new` is the reminder `old` with only its receipt date added."""
    if not (isinstance(old, dict) and isinstance(new, dict)) or old.get("type") != "reminder":
        return False
    if RECEIPT_KEY in old or RECEIPT_KEY not in new:
        return False
    rest = {key: value for key, value in new.items() if key != RECEIPT_KEY}
    return bool(comparable(rest) == comparable(old))


def _removed(index: int, event: Any) -> LedgerChange:
    return LedgerChange("event-removed", f"event {index + 1} ({describe_event(event)}) deleted", violation=True)


def _inserted(index: int, event: Any, at_end: bool) -> LedgerChange:
    if at_end:
        return LedgerChange("event-added", f"event added: {describe_event(event)}", event=event)
    return LedgerChange(
        "event-inserted",
        f"event {index + 1} ({describe_event(event)}) inserted before events already committed",
        violation=True,
        event=event,
    )


def invoice_changes(old: Sequence[Any], new: Sequence[Any]) -> list[LedgerChange]:
    changes: list[LedgerChange] = []
    for index, (before, after) in enumerate(zip(old, new, strict=False)):
        if comparable(before) == comparable(after):
            continue
        name = invoice_name(before)
        b = before if isinstance(before, dict) else {}
        a = after if isinstance(after, dict) else {}
        key_fields = [k for k in INVOICE_KEY_FIELDS if comparable(b.get(k), k) != comparable(a.get(k), k)]
        changes.append(
            LedgerChange(
                "invoice-changed",
                f"invoice {index + 1} ({name}): {field_diff(before, after)}",
                violation=bool(key_fields) or not isinstance(after, dict),
            )
        )
    changes.extend(
        LedgerChange("invoice-removed", f"invoice {i + 1} ({invoice_name(inv)}) removed", violation=True)
        for i, inv in enumerate(old[len(new) :], start=len(new))
    )
    changes.extend(LedgerChange("invoice-added", f"invoice added: {invoice_name(inv)}") for inv in new[len(old) :])
    return changes


def invoice_name(invoice: Any) -> str:
    if not isinstance(invoice, dict):
        return _show(invoice)
    amount = invoice.get("amount")
    parts = [str(invoice.get("number", "?"))]
    if amount is not None:
        parts.append(_show(amount, money=True))
    if invoice.get("due") is not None:
        parts.append(f"due {_show(invoice['due'])}")
    return " ".join(parts)


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> list[LedgerChange]:
    changes = []
    for key in [*old, *(k for k in new if k not in old)]:
        if key in ("events", "invoices") or comparable(old.get(key), key) == comparable(new.get(key), key):
            continue
        if key not in old:
            text = f"{key} set to {_show(new[key])}"
        elif key not in new:
            text = f"{key} removed (was {_show(old[key])})"
        else:
            text = f"{key}: {_show(old[key])} → {_show(new[key])}"
        changes.append(LedgerChange("field-changed", text))
    return changes


def field_diff(old: Any, new: Any) -> str:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return f"{_show(old)} → {_show(new)}"
    parts = []
    for key in [*old, *(k for k in new if k not in old)]:
        money = key == "amount"
        if key not in new:
            parts.append(f"{key} {_show(old[key], money)} removed")
        elif key not in old:
            parts.append(f"{key} {_show(new[key], money)} added")
        elif comparable(old[key], key) != comparable(new[key], key):
            parts.append(f"{key} {_show(old[key], money)} → {_show(new[key], money)}")
    return ", ".join(parts) or "layout only"


def describe_event(event: Any) -> str:
    """`2026-10-30 payment amount=750.00 ref=VIR SEPA 8812`."""
    if not isinstance(event, dict):
        return _show(event)
    head = [_show(event.get("date", "?")), str(event.get("type", "?"))]
    rest = [f"{k}={_show(v, money=k == 'amount')}" for k, v in event.items() if k not in ("date", "type")]
    return " ".join(head + rest)


def _show(value: Any, money: bool = False) -> str:
    if money and isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return f"{Decimal(value):.2f}"
    if isinstance(value, list):
        return ",".join(
            f"{_show(v.get('due'))}:{_show(v.get('amount'), True)}" if isinstance(v, dict) and "due" in v else _show(v)
            for v in value
        )
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "nothing"
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def comparable(value: Any, key: object = None) -> Any:
    """A hashable form of a parsed value that is equal for values the ledger reads the same.

    The format lets a value be written several ways: `750`, `750.00` and `"750.00"` are one
    amount, `2026-10-30` and `"2026-10-30"` one date, `ref: 8812` and `ref: "8812"` one text.
    A key's type comes from the model (`FIELD_TYPES`); the value is read as the model reads it,
    so rewriting a value in another form is no change, and a real change always shows."""
    if isinstance(value, dict):
        return ("{}", tuple(sorted(((repr(k), comparable(v, k)) for k, v in value.items()), key=lambda kv: kv[0])))
    if isinstance(value, list):
        return ("[]", tuple(comparable(v, key) for v in value))
    if isinstance(value, bool):
        return ("bool", value)  # true must not equal the amount 1
    kind = FIELD_TYPES.get(key) if isinstance(key, str) else None
    if kind is Decimal:
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, str) and _MONEY_TEXT.fullmatch(value):
            return Decimal(value.strip())
    elif kind is date:
        if isinstance(value, str) and not isinstance(value, BadDate) and _DATE_TEXT.fullmatch(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                return value
    elif kind is str:
        if isinstance(value, (int, Decimal)):
            return str(value)  # the model keeps a number given for a text as its text
    elif kind is int:
        if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
            return int(value)
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return int(value)
    return value


def _field_types() -> dict[str, type]:
    """The scalar type of each key of a case file, from the model (keys with one type only)."""
    found: dict[str, set[type]] = {}
    models: tuple[type[BaseModel], ...] = (Case, Invoice, Installment, *EVENT_TYPES.values())
    for model in models:
        for name, info in model.model_fields.items():
            found.setdefault(name, set()).add(_scalar_type(info.annotation))
    return {name: next(iter(kinds)) for name, kinds in found.items() if len(kinds) == 1 and object not in kinds}


def _scalar_type(annotation: Any) -> type:
    """`Decimal` for `Amount | None`, `date` for `IsoDate`, ...; `object` for anything else."""
    if get_origin(annotation) is Annotated:
        return _scalar_type(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        kinds = {_scalar_type(arg) for arg in get_args(annotation) if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else object
    return annotation if annotation in (Decimal, date, str, int, bool) else object


_MONEY_TEXT = re.compile(r"\s*-?\d+(\.\d+)?\s*")  # what the model reads as an amount
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT_TEXT = re.compile(r"[+-]?\d+")
FIELD_TYPES = _field_types()


def backdated(event: Any, committed: date) -> int | None:
    """Days between an added event's date and its commit, when more than the allowed 30."""
    when = event.get("date") if isinstance(event, dict) else None
    if isinstance(when, date) and (committed - when).days > BACKDATED_DAYS:
        return (committed - when).days
    return None


# --- history CASE ----------------------------------------------------------------------


@dataclass
class HistoryEntry:
    commit: Commit
    change: gitlog.Change
    changes: list[LedgerChange] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        renamed = self.change.old_path != self.change.path
        return {
            "commit": self.commit.sha,
            "author": self.commit.author,
            "email": self.commit.email,
            "date": self.commit.authored.isoformat(),
            "message": self.commit.message,
            "path": self.change.path,
            "renamed_from": self.change.old_path if renamed else None,
            "changes": [c.to_json() for c in self.changes],
        }


def case_history(root: Path, case_id: str) -> list[HistoryEntry]:
    """Every commit touching the case file (following renames), oldest first."""
    case_path = find_case_file(root, case_id)
    repo = gitlog.repository_root(case_path.parent)
    relative = case_path.resolve().relative_to(repo.resolve()).as_posix()
    entries = [
        HistoryEntry(commit, commit.changes[0])
        for commit in gitlog.log_commits(repo, [relative], follow=True)
        if commit.changes
    ]
    entries.reverse()  # --follow does not combine with --reverse in every git version
    _fill_changes(repo, entries)
    return entries


def _fill_changes(repo: Path, entries: list[HistoryEntry]) -> None:
    """Parse each revision once, all read through one `git cat-file --batch`."""
    blobs = {b for e in entries for b in (*e.change.old_blobs, e.change.new_blob)}
    with BlobReader(repo) as reader:
        contents = reader.read(sorted(blobs))
    parsed: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    for blob, raw in contents.items():
        try:
            parsed[blob] = parse_version(raw or b"")
        except Unreadable as exc:
            problems[blob] = str(exc)
    last_readable: dict[str, Any] | None = None
    for entry in entries:
        change = entry.change
        old_blob = change.old_blobs[0] if change.old_blobs else NULL_BLOB
        # An unreadable revision is compared through: the next readable one is diffed
        # against the last readable one, so nothing slips through a broken commit.
        old = parsed.get(old_blob, last_readable if old_blob in problems else None)
        if change.old_path != change.path:
            entry.changes.append(LedgerChange("renamed", f"renamed from {change.old_path}"))
        if change.new_blob in problems:
            message = f"file unreadable in this commit: {problems[change.new_blob]}"
            entry.changes.append(LedgerChange("unreadable", message))
            continue
        new = parsed.get(change.new_blob)
        if old_blob != change.new_blob:
            entry.changes.extend(diff_versions(old, new))
        if new is not None:
            last_readable = new


def format_history(entries: Sequence[HistoryEntry]) -> str:
    """For people: one block per commit, its changes in ledger terms below it."""
    if not entries:
        return "no commits touch this case yet"
    blocks = []
    for entry in entries:
        commit = entry.commit
        when = commit.authored.strftime("%Y-%m-%d %H:%M")
        lines = [f"{commit.short}  {when}  {commit.author}  {commit.subject}"]
        marks = {"event-added": "+", "created": "+", "invoice-added": "+"}
        for change in entry.changes or [LedgerChange("none", "no change in ledger terms")]:
            mark = "!" if change.violation else marks.get(change.kind, "~")
            lines.append(f"    {mark} {change.text}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)
