"""A case's timeline: its events merged with the git commits that changed its file.

Layer: git history + model -> timeline rows. The commits of every case file are read with
one `git log` over the ledger's `cases/` folder (never one process per case), following
renames. Without git, or outside a repository, timelines hold the events only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from relancegit.engine.voids import cancelled_events
from relancegit.git import gitlog
from relancegit.model import EventBase, Ledger
from relancegit.render import views


@dataclass(frozen=True)
class FileCommit:
    sha: str
    author: str
    day: date
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:8]


@dataclass(frozen=True)
class TimelineRow:
    day: date
    kind: str  # an event type, or "commit"
    text: str
    note: str
    future: bool = False
    commit: FileCommit | None = None
    voided: str = ""  # why and when a later `void` cancelled this event ("" if it stands)


def case_commits(ledger: Ledger) -> dict[str, list[FileCommit]]:
    """Case id -> the commits that touched its file, oldest first ({} without git)."""
    cases_dir = ledger.root / "cases"
    if not ledger.case_files or not cases_dir.is_dir():
        return {}
    try:
        repo = gitlog.repository_root(cases_dir).resolve()
        relative = cases_dir.resolve().relative_to(repo).as_posix()
        # Newest first: a rename seen here tells under which older name to keep looking.
        names: dict[str, str] = {}  # path in the repository -> case id
        for case_id, path in ledger.case_files.items():
            names[path.resolve().relative_to(repo).as_posix()] = case_id
        found: dict[str, list[FileCommit]] = defaultdict(list)
        for commit in gitlog.log_commits(repo, [relative]):
            for change in commit.changes:
                owner = names.get(change.path)
                if owner is None:
                    continue
                found[owner].append(FileCommit(commit.sha, commit.author, commit.authored.date(), commit.subject))
                if change.old_path != change.path:
                    names[change.old_path] = owner
    except (gitlog.GitError, ValueError, OSError):
        return {}
    return {case_id: commits[::-1] for case_id, commits in found.items()}


def timeline(
    events: Sequence[EventBase], commits: list[FileCommit], today: date, words: views.Lexicon | None = None
) -> list[TimelineRow]:
    """Events (in file order) and commits, by date; on the same day the events come first.
    An event that a `void` dated up to today cancelled says so (shown struck through)."""
    gone = cancelled_events(events, today)
    rows = [
        (
            e.date,
            0,
            i,
            TimelineRow(
                day=e.date,
                kind=str(getattr(e, "type", "")),
                text=views.describe_event(e, words),
                note=e.note or "",
                future=e.date > today,
                voided=views.describe_voided(gone[i], words) if i in gone else "",
            ),
        )
        for i, e in enumerate(events)
    ]
    rows += [
        (c.day, 1, i, TimelineRow(day=c.day, kind="commit", text=c.subject, note="", commit=c))
        for i, c in enumerate(commits)
    ]
    return [row for *_, row in sorted(rows, key=lambda r: (r[0], r[1], r[2]))]


def commits_for(found: Mapping[str, list[FileCommit]], case_id: str) -> list[FileCommit]:
    return list(found.get(case_id, ()))


__all__ = ["FileCommit", "TimelineRow", "case_commits", "commits_for", "timeline"]
