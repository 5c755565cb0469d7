"""`audit`: prove that the git history of the cases is append-only (README, "Git is the audit log").

Layer: git history -> violations and warnings. One `git log --reverse --raw` stream lists,
per commit, the blob ids of every case file it changed; one long-running `git cat-file
--batch` reads those blobs. Each change is compared on parsed values (`history.diff_versions`),
except the common one, which costs no parse: a revision that is the previous one plus new
items at the end of its `events` list (what `record` writes). That is recognised on the
bytes, and only the new items are parsed, all of a commit's together. Nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from relancegit import gitlog
from relancegit.gitlog import NULL_BLOB, BlobReader, Change, Commit
from relancegit.history import (
    LedgerChange,
    Unreadable,
    backdated,
    describe_event,
    diff_versions,
    parse_version,
)
from relancegit.load import YAML_SUFFIXES
from relancegit.problems import UsageError
from relancegit.yamlsafe import YamlProblem, parse_yaml

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

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "violations": [v.to_json() for v in self.violations],
            "warnings": [w.to_json() for w in self.warnings],
            "commits": self.commits,
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
        return parse_yaml(b"items:\n" + self.line + b"\n")["items"][0]


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
            value = parse_yaml(b"items:\n" + text).get("items")
        except (YamlProblem, AttributeError):  # not YAML, or not a mapping
            return None
        return value if isinstance(value, list) else None

    if not texts:
        return []
    document = b"".join(b"i%d:\n%s" % (index, text) for index, text in enumerate(texts))
    try:
        data = parse_yaml(document)
        values = [data.get(f"i{index}") for index in range(len(texts))]
        if all(isinstance(v, list) for v in values):
            return values
    except (YamlProblem, AttributeError):  # one text spoils the batch: parse them one by one
        pass
    return [parse(text) for text in texts]


# --- the walk ----------------------------------------------------------------------------


class _Walk:
    """State of one pass: blob contents still needed, shapes and parses of revisions."""

    def __init__(self, reader: BlobReader, is_case: Callable[[str], bool]) -> None:
        self.reader = reader
        self.is_case = is_case
        self.contents: dict[str, bytes] = {}
        self.shapes: dict[str, _Shape] = {}
        self.parsed: dict[str, dict[str, Any]] = {}
        self.unreadable: dict[str, str] = {}
        self.readable_before: dict[str, str] = {}  # unreadable blob -> last readable one
        self.report = AuditReport()

    def content(self, blob: str) -> bytes:
        if blob not in self.contents:
            self.contents[blob] = self.reader.read([blob]).get(blob) or b""
        return self.contents[blob]

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
        changes = [c for c in commit.changes if self.is_case(c.path) or self.is_case(c.old_path)]
        if not changes:
            return
        self.report.commits += 1
        wanted = [b for c in changes for b in (c.new_blob, *c.old_blobs) if b not in self.contents]
        self.contents.update({b: raw or b"" for b, raw in self.reader.read(wanted).items()})
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

    def _append_only(self, change: Change) -> tuple[bytes, int] | None:
        if len(change.old_blobs) != 1 or change.deleted or change.old_blobs[0] == NULL_BLOB:
            return None
        if not (self.is_case(change.path) and self.is_case(change.old_path)):
            return None
        old_blob = change.old_blobs[0]
        if old_blob not in self.shapes:
            self.version(old_blob)
        shape = self.shapes.get(old_blob)
        if shape is None or shape.dash is None:
            return None
        return appended_text(self.content(old_blob), self.content(change.new_blob), shape.dash)

    def _compare(self, commit: Commit, change: Change) -> None:
        path = change.path
        new_blob = NULL_BLOB if change.deleted or not self.is_case(path) else change.new_blob
        if any(blob == new_blob for blob in change.old_blobs):
            return  # a pure rename (or move back): nothing changed in the ledger
        new = self.version(new_blob) if new_blob != NULL_BLOB else None
        if new_blob != NULL_BLOB and new is None:
            self.readable_before[new_blob] = self._readable(change.old_blobs[0]) if change.old_blobs else NULL_BLOB
            message = f"file unreadable in this commit: {self.unreadable[new_blob]}"
            self.report.warnings.append(Finding(commit, path, message))
            return
        olds = [self._old_version(b, change.old_path) for b in change.old_blobs] or [None]
        if len(olds) > 1:  # a merge: it must keep every parent's events, and change nothing else
            self._compare_merge(commit, path, olds, new)
            return
        for found in diff_versions(olds[0], new):
            self._report(commit, path if new is not None else change.old_path, found)

    def _old_version(self, blob: str, old_path: str) -> dict[str, Any] | None:
        if blob == NULL_BLOB or not self.is_case(old_path):
            return None
        return self.version(self._readable(blob))

    def _readable(self, blob: str) -> str:
        """The blob itself, or for an unreadable revision the last readable one before it."""
        if blob != NULL_BLOB and self.version(blob) is None:
            return self.readable_before.get(blob, NULL_BLOB)
        return blob

    def _compare_merge(self, commit: Commit, path: str, olds: list[Any], new: Any) -> None:
        per_parent = [diff_versions(old, new) for old in olds]
        # A change that every parent sees is the merge's own doing; one that a parent does
        # not see came from that parent's side, where it was already audited.
        own = [c for c in per_parent[0] if all(c in others for others in per_parent[1:])]
        for found in own:
            self._report(commit, path, found)

    def _report(self, commit: Commit, path: str, change: LedgerChange) -> None:
        if change.violation:
            self.report.violations.append(Finding(commit, path, change.text))
        if change.kind in ("event-added", "event-inserted") and change.event is not None:
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


def audit(root: Path, since: str | None = None, progress: Callable[[int], None] | None = None) -> AuditReport:
    """Walk the history of the ledger's cases once and report what was rewritten."""
    repo = gitlog.repository_root(root)
    ledger = root.resolve().relative_to(repo.resolve()).as_posix()
    cases = "cases" if ledger == "." else f"{ledger}/cases"
    extra = ["--reverse", "--topo-order"]
    if since:
        _verify_revision(repo, since)
        extra.append(f"{since}..HEAD")

    prefix, known = cases + "/", {}  # each path is asked about in many commits

    def is_case(path: str) -> bool:
        if path not in known:
            inside = path[len(prefix) :]
            known[path] = path.startswith(prefix) and path.endswith(YAML_SUFFIXES) and "/." not in "/" + inside
        return known[path]

    with BlobReader(repo) as reader:
        walk = _Walk(reader, is_case)
        for count, commit in enumerate(gitlog.log_commits(repo, [cases], extra), start=1):
            walk.commit(commit)
            if progress:
                progress(count)
    return walk.report


def count_commits(root: Path, since: str | None = None) -> int:
    """How many commits `audit` will walk, for a progress bar."""
    repo = gitlog.repository_root(root)
    ledger = root.resolve().relative_to(repo.resolve()).as_posix()
    cases = "cases" if ledger == "." else f"{ledger}/cases"
    revs = [f"{since}..HEAD"] if since else ["HEAD"]
    try:
        return int(gitlog.run_git(["rev-list", "--count", *revs, "--", cases], repo).strip() or 0)
    except gitlog.GitError:
        return 0


def _verify_revision(repo: Path, revision: str) -> None:
    try:
        gitlog.run_git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], repo)
    except gitlog.GitError:
        raise UsageError(f"--since: unknown revision '{revision}'") from None


def format_report(report: AuditReport) -> str:
    """For people: violations, then warnings, then a summary line."""
    lines = [f"violation: {v.format()}" for v in report.violations]
    lines += [f"warning: {w.format()}" for w in report.warnings]
    counts = f"{report.commits} commit(s), {len(report.warnings)} warning(s)"
    if report.violations:
        lines.append(f"audit failed: {len(report.violations)} violation(s) of the append-only rule in {counts}")
    else:
        lines.append(f"ok: history is append-only ({counts})")
    return "\n".join(lines)
