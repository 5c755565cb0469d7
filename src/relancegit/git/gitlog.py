"""Git plumbing for the audit log: one `git log` stream, one `git cat-file --batch` process.

Layer: processes and bytes. Runs git, parses its raw output into `Commit` values and reads
blobs; knows nothing about the ledger's meaning (that is `history.py`). A history is read
with a fixed number of processes whatever its length: one `git log` and one long-running
`git cat-file --batch`, never one process per file or per commit.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType

from relancegit.problems import RelancegitError

NULL_BLOB = "0" * 40
# Records and fields of our `git log --format`: characters that never occur in git metadata.
_RECORD, _FIELD = "\x1e", "\x1f"
_LOG_FORMAT = _RECORD + _FIELD.join(["%H", "%P", "%an", "%ae", "%aI", "%cI", "%B"])
# What git says when a commit or object the walk needs is not in the repository.
_MISSING_OBJECT = ("Could not read", "Failed to traverse", "cannot simplify", "bad object", "missing")
_OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
# Blob ids are written to cat-file in chunks that fit in a pipe buffer, then all answers are
# read: git never blocks on a full stdout while we block on a full stdin.
_CHUNK = 1000


class GitError(RelancegitError):
    """git is missing, the folder is not a repository, or a git command failed."""


class IncompleteHistory(GitError):
    """The repository lacks part of its history (shallow clone, grafts, missing objects)."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"incomplete git history: {reason}. The audit cannot vouch for commits it cannot read: "
            "fetch the whole history first (`git fetch --unshallow`, or a full clone), and in CI "
            "check out every commit (GitHub Actions: `fetch-depth: 0` in actions/checkout; "
            "GitLab CI: `GIT_DEPTH: 0`)"
        )


@dataclass(frozen=True)
class Change:
    """One file changed by a commit, from `--raw`: blob ids before (per parent) and after."""

    status: str  # A, M, D, R (rename), C (copy), T; for merges one letter per parent
    path: str  # the path after the commit
    old_path: str  # the path before (differs from `path` on renames)
    old_blobs: tuple[str, ...]  # one per parent (NULL_BLOB when the file did not exist)
    new_blob: str  # NULL_BLOB when deleted

    @property
    def deleted(self) -> bool:
        return self.new_blob == NULL_BLOB


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    authored: datetime
    committed: datetime
    message: str
    changes: tuple[Change, ...] = field(default=())

    @property
    def short(self) -> str:
        return self.sha[:8]

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


def run_git(args: Sequence[str], cwd: Path, stdin: bytes | None = None) -> str:
    """Run one git command and return its output; a failure becomes a `GitError`."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {detail[-1] if detail else 'exit code ' + str(done.returncode)}")
    return done.stdout.decode("utf-8", "replace")


# How long a commit waits for another git process to release the index (`index.lock`).
INDEX_WAIT = 10.0
_INDEX_LOCKED = re.compile(r"Unable to create '(?P<lock>[^']*index\.lock)': File exists")


def run_git_waiting_for_index(
    args: Sequence[str], cwd: Path, stdin: bytes | None = None, wait: float = INDEX_WAIT
) -> str:
    """`run_git` for a command that takes git's index lock (commit, add): while another git
    process holds `index.lock`, try again with a growing pause, for up to `wait` seconds."""
    deadline = time.monotonic() + wait
    pause = 0.05
    while True:
        try:
            done = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)
        except FileNotFoundError:
            raise GitError("git is not installed (or not on PATH)") from None
        if done.returncode == 0:
            return done.stdout.decode("utf-8", "replace")
        stderr = done.stderr.decode("utf-8", "replace")
        locked = _INDEX_LOCKED.search(stderr)
        if locked is None:
            detail = stderr.strip().splitlines()
            raise GitError(f"git {args[0]} failed: {detail[-1] if detail else 'exit code ' + str(done.returncode)}")
        left = deadline - time.monotonic()
        if left <= 0:
            raise GitError(index_locked_message(Path(locked.group("lock")), args[0], wait))
        time.sleep(min(pause, left))
        pause = min(pause * 2, 1.0)


def index_locked_message(lock: Path, command: str, waited: float) -> str:
    """The whole story of a busy index: who may hold it, and the exact command if nobody does."""
    try:
        age = f", created {time.time() - lock.stat().st_mtime:.0f} s ago"
    except OSError:
        age = ""
    return (
        f"git {command} failed: git's index is locked by {lock}{age}, still there after waiting {waited:g} s. "
        "Another git command (a terminal, an editor) may be running: let it finish. "
        f"If none is running, a crashed git left it behind: remove it with  rm '{lock}'  and run the command again"
    )


def repository_root(folder: Path) -> Path:
    """The top of the git working tree holding `folder`."""
    try:
        return Path(run_git(["rev-parse", "--show-toplevel"], folder).strip())
    except GitError:
        raise GitError(f"{folder} is not in a git repository (git init, then commit the ledger)") from None


def log_commits(
    repo: Path, pathspec: Sequence[str], extra: Sequence[str] = (), follow: bool = False
) -> Iterator[Commit]:
    """Stream the commits touching `pathspec`, oldest first unless `extra` says otherwise."""
    args = [
        # -M: a moved case file is a rename, not a deletion; -c: a merge lists only the
        # files it changed against every parent (its own conflict resolutions).
        "log",
        "-z",
        "--raw",
        "--no-abbrev",
        "-M",
        "-c",
        f"--format={_LOG_FORMAT}",
        "--no-color",
        "--no-ext-diff",
        *(["--follow"] if follow else []),
        *extra,
        "--",
        *pathspec,
    ]
    try:
        process = subprocess.Popen(["git", *args], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    assert process.stdout is not None
    pending = ""
    try:
        for chunk in iter(lambda: process.stdout.read(1 << 20), b""):  # type: ignore[union-attr]
            pending += chunk.decode("utf-8", "surrogateescape")
            *records, pending = pending.split(_RECORD)
            for record in records:
                if record:
                    yield _parse_record(record)
        if pending:
            yield _parse_record(pending)
    finally:
        process.stdout.close()
        stderr = process.stderr.read() if process.stderr else b""
        code = process.wait()
    if code != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        if any("does not have any commits" in line for line in lines):
            return
        if any(sign in line for line in lines for sign in _MISSING_OBJECT):
            raise IncompleteHistory(f"git log: {lines[-1]}")
        raise GitError(f"git log failed: {lines[-1] if lines else code}")


def _parse_record(record: str) -> Commit:
    header, _, raw = record.partition("\0")
    sha, parents, author, email, authored, committed, message = header.split(_FIELD, 6)
    return Commit(
        sha=sha,
        parents=tuple(parents.split()),
        author=author,
        email=email,
        authored=datetime.fromisoformat(authored),
        committed=datetime.fromisoformat(committed),
        message=message.strip("\n"),
        changes=tuple(_parse_raw(raw.lstrip("\n"))),
    )


def parse_raw_changes(raw: str) -> Iterator[Change]:
    """The changes of `git diff -z --raw --no-abbrev` (one side), as `log_commits` gives them."""
    return _parse_raw(raw)


def _parse_raw(raw: str) -> Iterator[Change]:
    """`:old-modes new-mode old-blobs new-blob STATUS\\0path\\0[path\\0]` entries (-z --raw)."""
    tokens = raw.split("\0")
    i = 0
    while i < len(tokens):
        meta = tokens[i].strip("\n")
        i += 1
        if not meta.startswith(":"):
            continue
        parent_count = len(meta) - len(meta.lstrip(":"))
        fields = meta.lstrip(":").split()
        blobs = fields[parent_count + 1 : 2 * parent_count + 2]
        status = fields[-1]
        old_path = tokens[i]
        i += 1
        path = old_path
        if parent_count == 1 and status[:1] in ("R", "C"):
            path = tokens[i]
            i += 1
        yield Change(
            status=status[:1] if parent_count == 1 else status,
            path=path,
            old_path=old_path,
            old_blobs=tuple(blobs[:-1]),
            new_blob=blobs[-1],
        )


def history_gap(repo: Path) -> str | None:
    """Why the repository does not hold its whole history, or None when it does.

    Commits missing beyond that (a damaged or partial repository) make `git log` fail with an
    `IncompleteHistory`, and a missing blob is reported by whoever reads it."""
    answer = run_git(["rev-parse", "--is-shallow-repository", "--git-path", "info/grafts"], repo)
    shallow, grafts = answer.split("\n")[:2]
    if shallow.strip() == "true":
        return "this is a shallow clone (only the latest commits were fetched)"
    if (repo / grafts.strip()).is_file():
        return f"{grafts.strip()} rewrites the parents of commits"
    replaced = run_git(["for-each-ref", "--count=1", "--format=%(refname)", "refs/replace/"], repo).strip()
    if replaced:
        return f"{replaced} substitutes another commit or file for a real one (git replace)"
    return None


def commit_id(repo: Path, revision: str) -> str | None:
    """The full id of the commit `revision` names, or None when the repository has no such commit."""
    try:
        return run_git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"], repo).strip()
    except GitError:
        return None


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    """Whether commit `ancestor` is `descendant` or one of its ancestors."""
    try:
        done = subprocess.run(
            ["git", "merge-base", "--is-ancestor", ancestor, descendant], cwd=repo, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    if done.returncode not in (0, 1):
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git merge-base failed: {detail[-1] if detail else done.returncode}")
    return done.returncode == 0


def merge_parents(repo: Path, revisions: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The merges in REVISIONS, with their parents. Not limited to a path: that would diff
    every commit's tree, ten times the time of this walk over the commits alone."""
    try:
        listed = run_git(["rev-list", "--merges", "--parents", *revisions], repo)
    except GitError as exc:
        if any(sign in str(exc) for sign in _MISSING_OBJECT):
            raise IncompleteHistory(str(exc).replace(" failed: ", ": ", 1)) from None
        raise
    return {sha: tuple(parents) for sha, *parents in (line.split() for line in listed.splitlines() if line)}


def parent_diffs(
    repo: Path, merges: dict[str, tuple[str, ...]], pathspec: Sequence[str]
) -> dict[str, list[tuple[Change, ...]]]:
    """Each merge's changes against each of its parents in turn, from one `git diff-tree --stdin`.

    `git log -c` shows only the files a merge changed against every parent: a merge that
    keeps one side's version of a file (`-s ours`, a conflict resolved as "ours") shows
    nothing there, though it drops what the other side added."""
    pairs = [(merge, parent) for merge, parents in merges.items() for parent in parents]
    if not pairs:
        return {}
    # --always: a header for every pair, even with no change, so answers pair with questions.
    args = ["diff-tree", "--stdin", "--always", "-r", "-z", "--raw", "--no-abbrev", "-M", "--", *pathspec]
    out = run_git(args, repo, stdin="".join(f"{m} {p}\n" for m, p in pairs).encode())
    groups: list[tuple[str, list[str]]] = []
    tokens = out.split("\0")
    i = 0
    while i < len(tokens):
        token = tokens[i].strip("\n")
        i += 1
        if token.startswith(":"):  # a change: its path(s) follow
            paths = 2 if token.count(":") == 1 and token.split()[-1][:1] in ("R", "C") else 1
            groups[-1][1].extend([token, *tokens[i : i + paths]])
            i += paths
        elif _OBJECT_ID.fullmatch(token):
            groups.append((token, []))
    if [sha for sha, _ in groups] != [m for m, _ in pairs]:
        raise GitError("git diff-tree answered out of order")
    found: dict[str, list[tuple[Change, ...]]] = {}
    for sha, raw in groups:
        found.setdefault(sha, []).append(tuple(_parse_raw("\0".join(raw))))
    return found


class BlobReader:
    """One long-running `git cat-file --batch`, fed blob ids in chunks."""

    def __init__(self, repo: Path) -> None:
        try:
            self._process = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=repo,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (or not on PATH)") from None

    def read(self, blob_ids: Iterable[str]) -> dict[str, bytes | None]:
        """The content of each blob (None for a missing object)."""
        ids = list(dict.fromkeys(b for b in blob_ids if b != NULL_BLOB))
        out: dict[str, bytes | None] = {}
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            stdin.write("".join(f"{b}\n" for b in chunk).encode())
            stdin.flush()
            for blob in chunk:
                header = stdout.readline().split()
                if len(header) < 3 or header[1] == b"missing":
                    out[blob] = None
                    continue
                size = int(header[2])
                out[blob] = stdout.read(size)
                stdout.read(1)  # the newline after each object
        return out

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        if self._process.stdout:
            self._process.stdout.close()
        self._process.wait()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
