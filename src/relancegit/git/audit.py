"""`audit`: prove that the git history of the cases is append-only (README, "Git is the audit log").

Layer: git history -> violations and warnings. One `git log --reverse --raw` stream lists,
per commit, the blob ids of every case file it changed; one long-running `git cat-file
--batch` reads those blobs. Each change is compared on parsed values (`history.diff_versions`),
except the common one, which costs no parse: a revision that is the previous one plus new
items at the end of its `events` list (what `record` writes). That is recognised on the
bytes, and only the new items are parsed, all of a commit's together.

The audit vouches only for a history it can read whole: a shallow clone, grafts, replaced
commits or missing objects are refused (`gitlog.IncompleteHistory`). Every branch is walked
(`--full-history`), and each merge is compared with each of its parents (one `git rev-list`
lists the merges, one `git diff-tree --stdin` diffs them all): whatever a parent committed must
survive in the merge. A published
head (`--published FILE`) catches a history rewritten and force-pushed since the last audit.
The only file written is that one, after a successful audit.

The copies of what was sent (`ledger/sent/`, pointed to by `document:` on reminder events) are
append-only too: the same log lists them, and a commit that modifies, deletes or moves one
is a violation (adding one is what `send` and `letter --record` do).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from relancegit.files import write_atomically
from relancegit.git import gitlog
from relancegit.git.accepted import ACCEPTED_NAME, AcceptedHistory, accepted_history
from relancegit.git.gitlog import NULL_BLOB, BlobReader, Change, Commit, IncompleteHistory
from relancegit.git.history import (
    INVOICE_KEY_FIELDS,
    LedgerChange,
    Unreadable,
    backdated,
    comparable,
    describe_event,
    diff_versions,
    field_diff,
    invoice_changes,
    invoice_name,
    parse_version,
)
from relancegit.problems import Problem, RelancegitError, UsageError
from relancegit.read.discover import YAML_SUFFIXES
from relancegit.read.load import parse_data
from relancegit.read.yamlsafe import YamlProblem

# Where `audit --published` keeps the head it audited, by default: in the dashboard's folder,
# published with it and kept between CI runs (`relancegit build` leaves it in place).
PUBLISHED_NAME = "audit-head.json"


class HistoryRewritten(RelancegitError):
    """The commit audited and published last time is no longer in HEAD's history."""


class BadPublishedFile(RelancegitError):
    """The published-head file is not what `audit --published` writes."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.format())
        self.problem = problem


_EVENTS_KEY = re.compile(rb"(?m)^events[ \t]*:[ \t]*(#[^\n]*)?\r?$")
# Block scalars that keep their trailing blank lines: an append would change their text.
_KEEP_CHOMPING = re.compile(rb"[|>][1-9]?\+")


@dataclass(frozen=True)
class Finding:
    commit: Commit
    file: str
    message: str

    def to_json(self) -> dict[str, object]:
        return {
            "commit": self.commit.sha,
            "author": self.commit.author,
            "email": self.commit.email,
            "date": self.commit.committed.isoformat(),
            "file": self.file,
            "message": self.message,
            "subject": self.commit.subject,
        }

    def format(self) -> str:
        when = self.commit.committed.strftime("%Y-%m-%d %H:%M")
        return f"{self.commit.short} {when} {self.commit.author}: {self.file}: {self.message}"


@dataclass
class AuditReport:
    violations: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    commits: int = 0
    head: str = ""  # the commit audited (HEAD when the audit started)
    # Violations of commits listed in audit-accepted.yaml, with the reason given there.
    accepted: list[tuple[Finding, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "violations": [v.to_json() for v in self.violations],
            "warnings": [w.to_json() for w in self.warnings],
            "commits": self.commits,
            "head": self.head,
            "accepted": [{**finding.to_json(), "reason": reason} for finding, reason in self.accepted],
        }


@dataclass(frozen=True)
class _Shape:
    """What an append needs to know of a valid revision: its events' count and indentation."""

    events: int
    dash: int | None  # column of the `-` of the events items; None: no byte-level append


ANY_DASH = -1  # an empty `events:` last in the file: items may follow at any indentation


# --- recognising an append on the bytes ---------------------------------------------------


def events_shape(raw: bytes, data: dict[str, Any]) -> _Shape:
    """Where the events list is, if it is the last key, in block style, at the top level."""
    events = data.get("events")
    count = len(events) if isinstance(events, list) else 0
    keys = list(_EVENTS_KEY.finditer(raw))
    if len(keys) != 1 or _KEEP_CHOMPING.search(raw):
        return _Shape(count, None)
    lines = raw[keys[0].end() :].split(b"\n")[1:]
    content = [line.rstrip(b"\r") for line in lines if _is_content(line)]
    if "events" in data and events is None and not content:
        return _Shape(0, ANY_DASH)  # `events:` ends the file: the first item sets the indentation
    if not events or not content:
        return _Shape(count, None)
    dash = len(content[0]) - len(content[0].lstrip(b" "))
    items = 0
    for line in content:
        indent = _indent(line)
        if indent is None or indent < dash:
            return _Shape(count, None)
        if indent == dash:
            if not _starts_item(line, dash):
                return _Shape(count, None)
            items += 1
    # The count check proves the `events:` line found is the real key and every item is seen.
    return _Shape(count, dash if items == count else None)


def _is_content(line: bytes) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(b"#")


def _indent(line: bytes) -> int | None:
    """Leading spaces; None when tabs are mixed in (YAML forbids them there: no fast path)."""
    indent = len(line) - len(line.lstrip(b" "))
    return None if line[indent : indent + 1] == b"\t" else indent


def _starts_item(line: bytes, dash: int) -> bool:
    return line[dash : dash + 2] in (b"- ", b"-") and line[dash : dash + 3] != b"---"


def appended_text(old: bytes, new: bytes, dash: int) -> tuple[bytes, int] | None:
    """The text after old's last event, if new items there are the only change.

    Comment and blank lines ending the old file carry no data: the new items may go before
    or after them."""
    if not old.endswith(b"\n") or len(new) <= len(old):
        return None
    body_end = _trailing_comments_start(old)
    if not new.startswith(old[:body_end]):
        return None
    inserted = new[body_end:]
    if not inserted.endswith(b"\n"):
        return None
    first = True
    for line in inserted.split(b"\n")[:-1]:
        if not _is_content(line):
            continue
        line = line.rstrip(b"\r")
        indent = _indent(line)
        if first and dash == ANY_DASH and indent is not None:
            dash = indent
        if indent is None or indent < dash:
            return None
        if (first or indent == dash) and not (indent == dash and _starts_item(line, dash)):
            return None
        first = False
    return None if first else (inserted, dash)


def _trailing_comments_start(raw: bytes) -> int:
    end = len(raw)
    while end > 0:
        start = raw.rfind(b"\n", 0, end - 1) + 1
        if _is_content(raw[start:end]):
            break
        end = start
    return end


# One event written on one line as a flow mapping of simple scalars, as `record` writes it:
# `  - {date: 2026-10-30, type: payment, amount: 750, ref: 'VIR 8812'}`. Plain scalars here
# hold no `:`, `#` or flow indicator and quoted ones no escape, so any line matching is
# valid YAML whose meaning the pattern itself gives: no parser needed for the common case.
_KEY = rb"[A-Za-z_][A-Za-z0-9_-]*"
_SCALAR = rb"""'(?:[^'\r\n]|'')*'|"[^"\\\r\n]*"|(?:[^\s'"{}\[\],#:&*!|>%@`?-]|-(?=\d))[^{}\[\],#:\r\n]*?"""
_PAIR = re.compile(rb"(" + _KEY + rb"): +(" + _SCALAR + rb") *(?:, *|$)")
_FLOW_LINE = re.compile(
    rb" *- \{ *((?:"
    + _KEY
    + rb": +(?:"
    + _SCALAR
    + rb") *, *)*"
    + _KEY
    + rb": +(?:"
    + _SCALAR
    + rb")) *\}(?: +#[^\r\n]*)? *\r?"
)
_PLAIN_DATE = re.compile(rb"\d{4}-\d\d-\d\d")


@dataclass(frozen=True)
class LineEvent:
    """An appended one-line event: its date is read from the bytes, the rest only if needed."""

    when: date | None
    line: bytes

    def parse(self) -> Any:
        return parse_data(b"items:\n" + self.line + b"\n")["items"][0]


def quick_items(text: bytes) -> list[LineEvent] | None:
    """The events of an appended text made only of one-line flow mappings; else None."""
    items = []
    for line in text.split(b"\n"):
        if not _is_content(line):
            continue
        match = _FLOW_LINE.fullmatch(line)
        if match is None:
            return None
        # Same grammar as the line: findall splits it into its pairs, in order.
        found = _PAIR.findall(match[1])
        pairs = dict(found)
        if len(pairs) != len(found):
            return None  # a duplicate key: the full parse reports it
        if any(value.rstrip() == b"=" for value in pairs.values()):
            return None  # YAML's `=` value tag, which the safe loader refuses
        items.append(LineEvent(_plain_date(pairs.get(b"date", b"").rstrip()), line.rstrip(b"\r")))
    return items


def _plain_date(raw: bytes) -> date | None:
    if not _PLAIN_DATE.fullmatch(raw):
        return None  # quoted, or not a date: the loader does not read a date either
    try:
        return date.fromisoformat(raw.decode())
    except ValueError:
        return None


def parse_appended(texts: list[bytes]) -> list[list[Any] | None]:
    """The items of each appended text: by `quick_items`, else parsed together in one
    document (one parse per commit, not per file); a text that does not parse gives None."""
    quick: list[list[Any] | None] = [quick_items(text) for text in texts]
    slow = [i for i, items in enumerate(quick) if items is None]
    for index, items in zip(slow, _parse_texts([texts[i] for i in slow]), strict=True):
        quick[index] = items
    return quick


def _parse_texts(texts: list[bytes]) -> list[list[Any] | None]:
    def parse(text: bytes) -> list[Any] | None:
        try:
            value = parse_data(b"items:\n" + text).get("items")
        except (YamlProblem, AttributeError):  # not YAML, or not a mapping
            return None
        return value if isinstance(value, list) else None

    if not texts:
        return []
    document = b"".join(b"i%d:\n%s" % (index, text) for index, text in enumerate(texts))
    try:
        data = parse_data(document)
        values = [data.get(f"i{index}") for index in range(len(texts))]
        if all(isinstance(v, list) for v in values):
            return values
    except (YamlProblem, AttributeError):  # one text spoils the batch: parse them one by one
        pass
    return [parse(text) for text in texts]


# --- the walk ----------------------------------------------------------------------------


class _Walk:
    """State of one pass: blob contents still needed, shapes and parses of revisions."""

    def __init__(
        self, reader: BlobReader, is_case: Callable[[str], bool], merges: dict[str, list[tuple[Change, ...]]]
    ) -> None:
        self.reader = reader
        self.is_case = is_case
        self.sent_prefix: str | None = None  # `ledger/sent/`: kept copies, never changed once committed
        self.contents: dict[str, bytes] = {}
        self.shapes: dict[str, _Shape] = {}
        self.parsed: dict[str, dict[str, Any]] = {}
        self.unreadable: dict[str, str] = {}
        # unreadable blob -> the readable revisions it stands for, with the commits they are from
        self.readable_before: dict[str, list[tuple[str, str]]] = {}
        self.report = AuditReport()
        self.merges = merges  # each merge's changes against each of its parents

    def content(self, blob: str) -> bytes:
        if blob not in self.contents:
            self._read([blob])
        return self.contents[blob]

    def _read(self, blobs: Sequence[str]) -> None:
        for blob, raw in self.reader.read(blobs).items():
            if raw is None:  # a partial or damaged clone: what was committed cannot be checked
                raise IncompleteHistory(f"file content {blob} is missing from the repository")
            self.contents[blob] = raw

    def version(self, blob: str) -> dict[str, Any] | None:
        """The parsed revision; None when unreadable (recorded in `unreadable`)."""
        if blob in self.parsed:
            return self.parsed[blob]
        if blob in self.unreadable:
            return None
        raw = self.content(blob)
        try:
            data = parse_version(raw)
        except Unreadable as exc:
            self.unreadable[blob] = str(exc)
            return None
        self.parsed[blob] = data
        self.shapes[blob] = events_shape(raw, data)
        return data

    def commit(self, commit: Commit) -> None:
        if len(commit.parents) > 1:
            self.merge(commit, self.merges.get(commit.sha, []))  # not `log -c`: see `merge`
            return
        self._check_sent(commit)
        changes = [c for c in commit.changes if self.is_case(c.path) or self.is_case(c.old_path)]
        if not changes:
            return
        self.report.commits += 1
        self._read([b for c in changes for b in (c.new_blob, *c.old_blobs) if b not in self.contents])
        appends: list[tuple[Change, bytes, int]] = []
        for change in changes:
            appended = self._append_only(change)
            if appended is None:
                self._compare(commit, change)
            else:
                appends.append((change, *appended))
        items = parse_appended([text for _, text, _ in appends])
        for (change, _, dash), added in zip(appends, items, strict=True):
            if added is None:
                self._compare(commit, change)
                continue
            old = self.shapes[change.old_blobs[0]]
            self.shapes[change.new_blob] = _Shape(old.events + len(added), dash)
            for event in added:
                self._check_backdated(commit, change.path, event)
        for change in changes:  # each revision is usually the next one's "before": keep only that
            for blob in change.old_blobs:
                self.contents.pop(blob, None)
                self.parsed.pop(blob, None)

    def _check_sent(self, commit: Commit) -> None:
        """A kept copy of what was sent may be added, never modified, deleted or moved."""
        prefix = self.sent_prefix
        if prefix is None:
            return
        for change in commit.changes:
            if not change.old_path.startswith(prefix) or all(b == NULL_BLOB for b in change.old_blobs):
                continue
            if change.deleted:
                what = "deleted"
            elif change.path != change.old_path:
                what = f"moved to {change.path}"
            elif any(b != change.new_blob for b in change.old_blobs):
                what = "modified"
            else:
                continue
            message = f"a kept copy of what was sent was {what}: copies are never changed once committed"
            self._violation(commit, change.old_path, message)

    def _append_only(self, change: Change) -> tuple[bytes, int] | None:
        if len(change.old_blobs) != 1 or change.deleted or change.old_blobs[0] == NULL_BLOB:
            return None
        if not (self.is_case(change.path) and self.is_case(change.old_path)):
            return None
        return self._appended(change.old_blobs[0], change.new_blob)

    def _appended(self, old_blob: str, new_blob: str) -> tuple[bytes, int] | None:
        """The text `new_blob` appends to `old_blob`'s events, if that is its only change."""
        if old_blob not in self.shapes:
            self.version(old_blob)
        shape = self.shapes.get(old_blob)
        if shape is None or shape.dash is None:
            return None
        return appended_text(self.content(old_blob), self.content(new_blob), shape.dash)

    def _compare(self, commit: Commit, change: Change) -> None:
        path = change.path
        new_blob = NULL_BLOB if change.deleted or not self.is_case(path) else change.new_blob
        if any(blob == new_blob for blob in change.old_blobs):
            return  # a pure rename (or move back): nothing changed in the ledger
        new = self.version(new_blob) if new_blob != NULL_BLOB else None
        origin = commit.parents[0] if commit.parents else ""
        sources = self._sources(change.old_blobs[0], origin, change.old_path) if change.old_blobs else []
        if new_blob != NULL_BLOB and new is None:
            self.readable_before[new_blob] = sources
            message = f"file unreadable in this commit: {self.unreadable[new_blob]}"
            self.report.warnings.append(Finding(commit, path, message))
            return
        if len(sources) > 1:  # through an unreadable merge: what each of its sides had must survive
            self._keep_all(commit, path, sources, new)
            return
        old = self.version(sources[0][1]) if sources else None
        for found in diff_versions(old, new):
            # A case added with its past events is an initial load, not back-dating.
            self._report(commit, path if new is not None else change.old_path, found, initial=old is None)

    def _sources(self, blob: str, origin: str, old_path: str) -> list[tuple[str, str]]:
        """The readable revisions `blob` stands for, with the commit each comes from: itself,
        or for an unreadable revision the readable ones before it (several after a merge)."""
        if blob == NULL_BLOB or not self.is_case(old_path):
            return []
        if self.version(blob) is not None:
            return [(origin, blob)]
        return self.readable_before.get(blob, [])

    # --- merges ---------------------------------------------------------------------------

    def merge(self, commit: Commit, diffs: Sequence[tuple[Change, ...]]) -> None:
        """Whatever any parent committed must survive in the merge: its events (unchanged,
        in any order, since two branches' events interleave by date), its invoices' number,
        amount and due date, and the case file itself. Events that no parent has are the
        merge's own, held to the rule of any commit: appended after those already there."""
        files: dict[str, tuple[str, dict[int, tuple[str, str]]]] = {}  # path -> new blob, parents
        for index, changes in enumerate(diffs):
            for change in changes:
                if self.is_case(change.path) or self.is_case(change.old_path):
                    new_blob = change.new_blob if self.is_case(change.path) else NULL_BLOB
                    files.setdefault(change.path, (new_blob, {}))[1][index] = (change.old_blobs[0], change.old_path)
        if not files:
            return
        self.report.commits += 1
        wanted = [b for new, olds in files.values() for b in (new, *(o for o, _ in olds.values()))]
        self._read([b for b in dict.fromkeys(wanted) if b != NULL_BLOB and b not in self.contents])
        for path, (new_blob, olds) in files.items():
            # A parent the diff does not list has the merge's own version of the file.
            parents = [olds.get(i, (new_blob, path)) for i in range(len(commit.parents))]
            differ = [(blob, old_path) for blob, old_path in parents if blob != new_blob]
            if len(differ) < len(parents) and self._merged_appends(differ, new_blob):
                continue  # the usual merge: one side appended events, the merge took its file
            sources = [
                source
                for (blob, old_path), origin in zip(parents, commit.parents, strict=True)
                if blob != new_blob
                for source in self._sources(blob, origin, old_path)
            ]
            new = self.version(new_blob) if new_blob != NULL_BLOB else None
            if new_blob != NULL_BLOB and new is None:
                if all(blob != new_blob for blob, _ in parents):  # else warned about where it was made
                    self.readable_before[new_blob] = sources
                    message = f"file unreadable in this commit: {self.unreadable[new_blob]}"
                    self.report.warnings.append(Finding(commit, path, message))
                continue
            self._keep_all(commit, path, sources, new)

    def _merged_appends(self, differ: list[tuple[str, str]], new_blob: str) -> bool:
        """Whether each parent's file that the merge does not keep as it is only lacks events
        appended at the end: then it is all in the merge, and the merge, being another
        parent's file, adds nothing of its own. Read on the bytes, as for a commit."""
        if new_blob == NULL_BLOB:
            return False
        return all(
            blob != NULL_BLOB and self.is_case(old_path) and self._appended(blob, new_blob) is not None
            for blob, old_path in differ
        )

    def _keep_all(self, commit: Commit, path: str, sources: list[tuple[str, str]], new: Any) -> None:
        """Each source revision's events and invoices must be in `new`; `new`'s other events
        must come after those."""
        olds = [(origin, self.version(blob)) for origin, blob in sources]
        merged = _events(new)
        own = Counter(comparable(e) for e in merged)
        for _, old in olds:  # what remains after every source's events is this commit's own
            own -= Counter(comparable(e) for e in _events(old))
        mine = _own_positions(merged, own)
        replacements: set[int] = set()  # own events reported as the new side of a modified one
        for origin, old in olds:
            if len(commit.parents) > 1:
                drops = f"merge drops what parent {origin[:8]} has"
            else:
                drops = f"drops what {origin[:8]} has (compared through the unreadable revision)"
            if new is None:
                [deleted] = diff_versions(old, None)
                self._violation(commit, path, f"{drops}: {deleted.text}")
                continue
            left = Counter(comparable(e) for e in merged)
            for number, event in enumerate(_events(old), start=1):
                key = comparable(event)
                if left[key] > 0:
                    left[key] -= 1
                    continue
                found = _counterpart(event, merged, mine - replacements)
                how = "deleted"
                if found is not None:
                    replacements.add(found)
                    how = f"modified: {field_diff(event, merged[found])}"
                self._violation(commit, path, f"{drops}: event {number} ({describe_event(event)}) {how}")
            for text in _lost_invoices(_list(old or {}, "invoices"), _list(new, "invoices")):
                self._violation(commit, path, f"{drops}: {text}")
        last_committed = max((p for p in range(len(merged)) if p not in mine), default=-1)
        for position in sorted(mine - replacements):
            event = merged[position]
            if position < last_committed:
                where = f"event {position + 1} ({describe_event(event)}) inserted before events already committed"
                self._violation(commit, path, where)
            else:
                self._check_backdated(commit, path, event)

    def _violation(self, commit: Commit, path: str, message: str) -> None:
        self.report.violations.append(Finding(commit, path, message))

    def _report(self, commit: Commit, path: str, change: LedgerChange, initial: bool = False) -> None:
        if change.violation:
            self.report.violations.append(Finding(commit, path, change.text))
        if not initial and change.kind in ("event-added", "event-inserted") and change.event is not None:
            self._check_backdated(commit, path, change.event)

    def _check_backdated(self, commit: Commit, path: str, event: Any) -> None:
        if isinstance(event, LineEvent):
            days = backdated({"date": event.when}, commit.committed.date())
            event = event.parse() if days is not None else event
        else:
            days = backdated(event, commit.committed.date())
        if days is not None:
            message = f"back-dated event, recorded {days} days after its date: {describe_event(event)}"
            self.report.warnings.append(Finding(commit, path, message))


def _events(data: Any) -> list[Any]:
    return _list(data, "events") if isinstance(data, dict) else []


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def _own_positions(merged: list[Any], own: Counter[Any]) -> set[int]:
    """Where the merge's own events are: the last occurrences of each value in the file."""
    left = Counter(own)
    positions = set()
    for position in range(len(merged) - 1, -1, -1):
        key = comparable(merged[position])
        if left[key] > 0:
            left[key] -= 1
            positions.add(position)
    return positions


def _counterpart(event: Any, merged: list[Any], own: set[int]) -> int | None:
    """The position of the merge's own event that replaces `event`: same type and date."""
    if not isinstance(event, dict):
        return None
    for position in sorted(own):
        candidate = merged[position]
        if (
            isinstance(candidate, dict)
            and candidate.get("type") == event.get("type")
            and comparable(candidate.get("date"), "date") == comparable(event.get("date"), "date")
        ):
            return position
    return None


def _lost_invoices(old: list[Any], new: list[Any]) -> list[str]:
    """A parent's invoices missing from the merge, or with another number, amount or due date.

    Matched by number (unique ledger-wide): each side of a merge may have added its own."""
    numbers = [comparable(i.get("number"), "number") if isinstance(i, dict) else None for i in [*old, *new]]
    if None in numbers or len(set(numbers[len(old) :])) < len(new):
        return [c.text for c in invoice_changes(old, new) if c.violation]  # no usable numbers
    merged = {comparable(i["number"], "number"): i for i in new}
    lost = []
    for number, invoice in enumerate(old, start=1):
        after = merged.get(comparable(invoice["number"], "number"))
        if after is None:
            lost.append(f"invoice {number} ({invoice_name(invoice)}) removed")
        elif any(comparable(invoice.get(k), k) != comparable(after.get(k), k) for k in INVOICE_KEY_FIELDS):
            lost.append(f"invoice {number} ({invoice_name(invoice)}): {field_diff(invoice, after)}")
    return lost


def audit(
    root: Path,
    since: str | None = None,
    progress: Callable[[int], None] | None = None,
    published: Path | None = None,
) -> AuditReport:
    """Walk the whole history of the ledger's cases once and report what was rewritten.

    Refuses (raises) a history it cannot read whole, a `since` outside HEAD's history, and a
    HEAD that no longer holds the head recorded in `published` (when that file exists)."""
    repo = gitlog.repository_root(root)
    ledger = root.resolve().relative_to(repo.resolve()).as_posix()
    cases = "cases" if ledger == "." else f"{ledger}/cases"
    gap = gitlog.history_gap(repo)
    if gap:
        raise IncompleteHistory(gap)
    head = gitlog.commit_id(repo, "HEAD")
    if head is None:
        return AuditReport()  # nothing committed yet: nothing to vouch for
    if published is not None:
        check_published(repo, head, published)
    # --full-history: every branch, also one a merge discarded (`-s ours`); default history
    # simplification would not even walk it.
    revisions = [f"{_verify_since(repo, since, head)}..{head}" if since else head]
    merges = gitlog.parent_diffs(repo, gitlog.merge_parents(repo, revisions), [cases])

    prefix, known = cases + "/", {}  # each path is asked about in many commits

    def is_case(path: str) -> bool:
        if path not in known:
            inside = path[len(prefix) :]
            known[path] = path.startswith(prefix) and path.endswith(YAML_SUFFIXES) and "/." not in "/" + inside
        return known[path]

    sent = "sent" if ledger == "." else f"{ledger}/sent"
    with BlobReader(repo) as reader:
        walk = _Walk(reader, is_case, merges)
        walk.sent_prefix = sent + "/"
        extra = ["--reverse", "--topo-order", "--full-history", *revisions]
        for count, commit in enumerate(gitlog.log_commits(repo, [cases, sent], extra), start=1):
            walk.commit(commit)
            if progress:
                progress(count)
        accepted_file = ACCEPTED_NAME if ledger == "." else f"{ledger}/{ACCEPTED_NAME}"
        apply_acceptances(walk.report, accepted_history(repo, accepted_file, head, reader), accepted_file)
    walk.report.head = head
    return walk.report


def apply_acceptances(report: AuditReport, history: AcceptedHistory, name: str) -> None:
    """Violations of accepted commits are reported as accepted; a change to an accepted entry
    is a violation that no entry can accept."""
    reasons = {entry.commit: entry.reason for entry in history.entries}
    kept = []
    for finding in report.violations:
        if finding.commit.sha in reasons:
            report.accepted.append((finding, reasons[finding.commit.sha]))
        else:
            kept.append(finding)
    report.violations = kept + [Finding(commit, name, message) for commit, message in history.violations]


def audit_staged(root: Path, today: date, author: str) -> AuditReport:
    """The changes staged for the next commit under the ledger's cases and kept copies, held to
    the audit's rule (for the pre-commit hook): a staged edit of a committed event, or of a
    copy of what was sent, is refused before it is committed."""
    repo = gitlog.repository_root(root)
    ledger = root.resolve().relative_to(repo.resolve()).as_posix()
    cases = "cases" if ledger == "." else f"{ledger}/cases"
    head = gitlog.commit_id(repo, "HEAD")
    if head is None:
        return AuditReport()  # the first commit: nothing committed to rewrite
    sent = "sent" if ledger == "." else f"{ledger}/sent"
    raw = gitlog.run_git(["diff", "--cached", "-z", "--raw", "--no-abbrev", "-M", "--", cases, sent], repo)
    changes = tuple(gitlog.parse_raw_changes(raw))
    moment = datetime.combine(today, time())
    staged = Commit(
        sha="0" * 40, parents=(head,), author=author, email="", authored=moment, committed=moment, message="(staged)"
    )
    prefix = cases + "/"

    def is_case(path: str) -> bool:
        inside = path[len(prefix) :]
        return path.startswith(prefix) and path.endswith(YAML_SUFFIXES) and "/." not in "/" + inside

    with BlobReader(repo) as reader:
        walk = _Walk(reader, is_case, {})
        walk.sent_prefix = sent + "/"
        walk.commit(replace(staged, changes=changes))
    walk.report.head = head
    return walk.report


def count_commits(root: Path, since: str | None = None) -> int:
    """How many commits `audit` will walk, for a progress bar."""
    repo = gitlog.repository_root(root)
    ledger = root.resolve().relative_to(repo.resolve()).as_posix()
    cases = "cases" if ledger == "." else f"{ledger}/cases"
    revs = [f"{since}..HEAD"] if since else ["HEAD"]
    try:
        return int(gitlog.run_git(["rev-list", "--count", "--full-history", *revs, "--", cases], repo).strip() or 0)
    except gitlog.GitError:
        return 0


def _verify_since(repo: Path, revision: str, head: str) -> str:
    """The commit `--since` names; it must be in HEAD's history, or the range skips commits."""
    since = gitlog.commit_id(repo, revision)
    if since is None:
        raise UsageError(f"--since: unknown revision '{revision}'")
    if not gitlog.is_ancestor(repo, since, head):
        raise RelancegitError(
            f"--since: {revision} ({since[:8]}) is not an ancestor of HEAD ({head[:8]}): "
            "the commits after it are not HEAD's history. Give a commit HEAD descends from "
            "(e.g. the last audited tag), or audit without --since"
        )
    return since


# --- the published head: a rewrite of published history is caught at the next run ----------


def default_published(root: Path) -> Path:
    """`site/audit-head.json` beside the ledger folder: where `relancegit build` writes the site."""
    return root.resolve().parent / "site" / PUBLISHED_NAME


def read_published(path: Path) -> tuple[str, str] | None:
    """The head and date recorded in `path`; None when the file does not exist (a first run)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadPublishedFile(Problem(path, f"cannot read the published head: {exc}", line=1, column=1)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadPublishedFile(
            Problem(path, f"not the JSON `audit --published` writes: {exc.msg}", line=exc.lineno, column=exc.colno)
        ) from None
    head = data.get("head") if isinstance(data, dict) else None
    if not isinstance(head, str) or not _COMMIT_ID.fullmatch(head):
        message = 'expected {"head": "<commit id>", "date": "YYYY-MM-DD"}, as `audit --published` writes'
        raise BadPublishedFile(Problem(path, message, line=1, column=1))
    when = data.get("date")
    return head, when if isinstance(when, str) else "?"


_COMMIT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def check_published(repo: Path, head: str, path: Path) -> None:
    """HEAD must descend from the head audited and published last time."""
    found = read_published(path)
    if found is None:
        return
    published, when = found
    if gitlog.commit_id(repo, published) is None:
        where = "is not in this repository"
    elif not gitlog.is_ancestor(repo, published, head):
        where = f"is not an ancestor of HEAD ({head[:8]})"
    else:
        return
    raise HistoryRewritten(
        f"history rewritten since it was published: commit {published[:8]}, audited and published "
        f"on {when} (recorded in {path}), {where}. Commits already published were changed or "
        "removed (a rebase, amend or filter-branch, then a force-push); restore them from a copy "
        "that has them, or find out who rewrote them"
    )


def record_published(path: Path, head: str, today: date) -> None:
    """Write the head just audited to `path`, atomically (temporary file, fsync, rename)."""
    content = json.dumps({"head": head, "date": today.isoformat()}, indent=2) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RelancegitError(f"cannot write {path}: {exc.strerror or exc}") from None
    write_atomically(path, content.encode("utf-8"))


RECOVERY = (
    "To correct a committed event, append instead: a `void` of the wrong event (record CASE void "
    "event=N reason=...), a credit-note, a new event. A violation already pushed stays in the history: "
    "once explained, `relancegit audit --accept COMMIT --reason TEXT` accepts it (commit "
    "ledger/audit-accepted.yaml); a revert would be a second violation."
)


def format_report(report: AuditReport) -> str:
    """For people: violations, then accepted ones, then warnings, then a summary line."""
    lines = [f"violation: {v.format()}" for v in report.violations]
    lines += [f"accepted: {finding.format()} (reason: {reason})" for finding, reason in report.accepted]
    lines += [f"warning: {w.format()}" for w in report.warnings]
    counts = f"{report.commits} commit(s), {len(report.warnings)} warning(s)"
    if report.accepted:
        counts += f", {len(report.accepted)} accepted violation(s)"
    if report.violations:
        lines.append(RECOVERY)
        lines.append(f"audit failed: {len(report.violations)} violation(s) of the append-only rule in {counts}")
    else:
        lines.append(f"ok: history is append-only ({counts})")
    return "\n".join(lines)
