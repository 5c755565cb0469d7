"""Audit violations accepted after review: `relancegit audit --accept COMMIT --reason TEXT`.

Layer: git + one ledger file. `ledger/audit-accepted.yaml` lists, one entry per commit, the
commits whose append-only violations were reviewed and explained; `audit` then reports them
as accepted instead of failing, so a past mistake stops failing CI without rewriting history.
The file is append-only itself: `audit` checks its own history with the same rule (an entry
changed or removed is a violation of the commit that did it, and cannot be accepted away).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from relancegit.files import write_atomically
from relancegit.git import gitlog
from relancegit.problems import RelancegitError, UsageError
from relancegit.read.load import parse_data
from relancegit.read.yamlsafe import YamlProblem

ACCEPTED_NAME = "audit-accepted.yaml"
HEADER = (
    "# Audit violations accepted after review (relancegit audit --accept COMMIT --reason TEXT).\n"
    "# Append-only, like the cases: an entry is never edited or removed.\n"
    "accepted:\n"
)
_COMMIT_ID = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")


@dataclass(frozen=True)
class Acceptance:
    commit: str
    date: str
    by: str
    reason: str

    def line(self) -> str:
        # JSON strings are valid YAML double-quoted scalars: any reason text stays one value.
        text = ", ".join(
            f"{key}: {json.dumps(value, ensure_ascii=False)}"
            for key, value in (("commit", self.commit), ("date", self.date), ("by", self.by), ("reason", self.reason))
        )
        return f"  - {{{text}}}\n"


class BadAcceptedFile(RelancegitError):
    """The accepted file is not what `audit --accept` writes."""


def parse_accepted(raw: bytes, name: str) -> list[Acceptance]:
    """The entries of one version of the file; raises `BadAcceptedFile` with its position."""
    try:
        data = parse_data(raw)
    except YamlProblem as exc:
        raise BadAcceptedFile(f"{name}:{exc.line}:{exc.column}: error: {exc.message}") from None
    entries = data.get("accepted") if isinstance(data, dict) else None
    if not isinstance(data, dict) or set(data) != {"accepted"} or not isinstance(entries, list | type(None)):
        raise BadAcceptedFile(f"{name}:1:1: error: expected `accepted:` and a list of entries, as --accept writes")
    found = []
    for index, entry in enumerate(entries or [], start=1):
        if not isinstance(entry, dict) or set(entry) != {"commit", "date", "by", "reason"}:
            raise BadAcceptedFile(f"{name}: error: entry {index}: expected the keys commit, date, by and reason")
        commit = str(entry["commit"])
        if not _COMMIT_ID.match(commit):
            raise BadAcceptedFile(f"{name}: error: entry {index}: '{commit}' is not a full commit id")
        found.append(Acceptance(commit, str(entry["date"]), str(entry["by"]), str(entry["reason"])))
    return found


@dataclass(frozen=True)
class AcceptedHistory:
    entries: list[Acceptance]  # as committed at HEAD
    violations: list[tuple[gitlog.Commit, str]]  # commits that changed or removed an entry


def accepted_history(repo: Path, relative: str, head: str, reader: gitlog.BlobReader) -> AcceptedHistory:
    """Walk the commits of the accepted file (few: one per acceptance) and check each version
    starts with the previous one; the entries committed at HEAD."""
    violations: list[tuple[gitlog.Commit, str]] = []
    previous: list[Acceptance] = []
    extra = ["--reverse", "--topo-order", "--full-history", head]
    for commit in gitlog.log_commits(repo, [relative], extra):
        change = next((c for c in commit.changes if relative in (c.path, c.old_path)), None)
        if change is None:
            continue
        if change.deleted or change.path != relative:
            if previous:
                violations.append((commit, f"{relative} deleted: accepted entries are never removed"))
            previous = []
            continue
        raw = reader.read([change.new_blob]).get(change.new_blob) or b""
        try:
            current = parse_accepted(raw, relative)
        except BadAcceptedFile as exc:
            violations.append((commit, f"{relative} unreadable: {exc}"))
            continue
        if current[: len(previous)] != previous:
            changed = next(i for i, old in enumerate(previous) if i >= len(current) or current[i] != old)
            what = "removed" if changed >= len(current) else "changed"
            violations.append(
                (commit, f"accepted entry {changed + 1} (commit {previous[changed].commit[:8]}) {what}: append-only")
            )
        previous = current
    return AcceptedHistory(previous, violations)


def accept(root: Path, commit: str, reason: str, today: date, by: str, violating: Sequence[str]) -> Path:
    """Append an entry for `commit` (a full id among `violating`, the commits with violations)
    to the ledger's accepted file, keeping every byte before it; return the file."""
    reason = " ".join(reason.split())
    if not reason:
        raise UsageError("--reason: say why the violation is accepted (it is kept in the file)")
    if commit not in violating:
        raise RelancegitError(f"commit {commit[:8]} has no audit violation to accept")
    path = root / ACCEPTED_NAME
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = HEADER.encode("utf-8")
    except OSError as exc:
        raise RelancegitError(f"cannot read {path}: {exc.strerror or exc}") from None
    entries = parse_accepted(old, str(path))
    if any(entry.commit == commit for entry in entries):
        raise RelancegitError(f"commit {commit[:8]} is already accepted in {path}")
    if not old.endswith(b"\n"):
        old += b"\n"
    new = old + Acceptance(commit, today.isoformat(), by, reason).line().encode("utf-8")
    parse_accepted(new, str(path))  # what is written reads back
    write_atomically(path, new)
    return path
