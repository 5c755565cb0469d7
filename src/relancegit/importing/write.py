"""Check the files an import creates with the rules of `check`, then write them under the
ledger's write lock, all or none, and optionally commit them in one commit.

Layer: the one place where `import` touches the ledger (`write_checked`). Validation happens
in memory, before anything is written: a generated file's problem is reported at the source
line that produced it.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from relancegit.git import gitlog
from relancegit.importing.plan import NewCase, NewClient, Plan
from relancegit.importing.source import SourceInvoice
from relancegit.problems import Problem, RelancegitError, Severity
from relancegit.read.discover import CONFIG_NAME, UnreadableFile, ledger_file_names, read_ledger_file
from relancegit.read.load import load_texts
from relancegit.read.yamlsafe import locate
from relancegit.write.lock import ledger_write_lock
from relancegit.write.record import fsync_folder, remove_dead_scratch_files


@dataclass(frozen=True)
class SourceFile:
    """An input file as named in the commit trailer."""

    path: Path
    sha256: str
    kind: str


def new_file_problems(root: Path, plan: Plan, today: date) -> list[Problem]:
    """The problems of the files the plan creates, as `check` would report them (the load seam,
    in memory: the configuration, the clients on disk and the new files), each located at the
    source line of the invoice that produced the file."""
    texts: dict[Path, bytes] = {}
    for name in (str(root / CONFIG_NAME), *ledger_file_names(root).clients):
        with contextlib.suppress(UnreadableFile):  # the seam reports a missing configuration
            texts[Path(name)] = read_ledger_file(name)[1]
    owners: dict[Path, tuple[SourceInvoice, str]] = {}
    for client in plan.clients:
        texts[client.path] = client.text.encode()
        owners[client.path] = (client.first, client.text)
    for case in plan.cases:
        texts[case.path] = case.text.encode()
        owners[case.path] = (case.invoices[0], case.text)
    found = load_texts(root, texts, today).problems
    return [_at_source(p, owners) for p in found if p.file in owners]


def _at_source(problem: Problem, owners: dict[Path, tuple[SourceInvoice, str]]) -> Problem:
    invoice, text = owners[problem.file]
    if not problem.located:
        problem = locate(text, [problem])[0]
    what = "client" if problem.file.parent.name == "clients" else "case"
    message = f"invoice {invoice.number}: the {what} file {problem.file.name} it makes: {problem.message}"
    if problem.line:
        message += f" (its line {problem.line})"
    return Problem(invoice.file, message, problem.severity, line=invoice.line, column=invoice.column)


def write_checked(
    root: Path, plan: Plan, today: date, commit: bool, message: str, checked: list[Problem] | None = None
) -> tuple[list[Problem], str | None]:
    """Under the write lock: check the new files (unless the caller did, `checked`, under the
    same hold of the lock), write them all or none, commit them with `message` when asked.

    Returns the errors that stopped the write (nothing written) and the commit's short hash."""
    files: list[NewClient | NewCase] = [*plan.clients, *plan.cases]
    with ledger_write_lock(root) as state:
        taken = [f.path for f in files if f.path.exists()]
        if taken:
            raise RelancegitError(f"{taken[0]} appeared while importing; nothing was written, run the import again")
        problems = new_file_problems(root, plan, today) if checked is None else checked
        errors = [p for p in problems if p.severity == Severity.ERROR]
        if errors:
            return errors, None
        if commit:
            _ensure_ledger_committed(root)
        _write_all([(f.path, f.text.encode()) for f in files])
        try:
            return [], commit_files(root, [f.path for f in files], message, state.scratch) if commit else None
        except BaseException:
            for item in files:  # all or none: no file left that the commit does not hold
                item.path.unlink(missing_ok=True)
            raise


def _write_all(contents: list[tuple[Path, bytes]]) -> None:
    """Write new files all or none: each to a hidden temporary file beside it, one sync of
    them all, then the renames and one sync of each folder. (An fsync per file, as `record`
    does for its one file, costs 10,000 disk flushes on a large import.)"""
    folders = sorted({path.parent for path, _ in contents})
    temporaries: list[tuple[Path, Path]] = []
    mode = 0o666 & ~_umask()
    try:
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            remove_dead_scratch_files(folder)
        for path, content in contents:
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporaries.append((temporary, path))
            with temporary.open("wb") as handle:
                handle.write(content)
            temporary.chmod(mode)
        _sync([t for t, _ in temporaries])
        done: list[Path] = []
        try:
            for temporary, path in temporaries:
                if path.exists():
                    raise RelancegitError(f"{path} appeared while importing; nothing was written")
                temporary.replace(path)
                done.append(path)
        except BaseException:
            for path in done:
                path.unlink(missing_ok=True)
            raise
        for folder in folders:
            fsync_folder(folder)
    except OSError as exc:
        raise RelancegitError(
            f"cannot write {exc.filename or 'the new files'}: {exc.strerror or exc}; nothing was written"
        ) from None
    finally:
        for temporary, _ in temporaries:
            temporary.unlink(missing_ok=True)


def _sync(paths: list[Path]) -> None:
    if hasattr(os, "sync"):
        os.sync()  # one flush of everything written, instead of one per file
        return
    for path in paths:  # pragma: no cover - platforms without sync()
        with path.open("rb+") as handle:
            os.fsync(handle.fileno())


def _ensure_ledger_committed(root: Path) -> None:
    """`--commit` adds files to a committed ledger: the hooks check the commit against it."""
    top = gitlog.repository_root(root)
    config = os.path.relpath((root / CONFIG_NAME).resolve(), top.resolve())
    try:
        gitlog.run_git(["cat-file", "-e", f"HEAD:{config}"], top)
    except gitlog.GitError:
        raise RelancegitError(
            f"{config} is not committed yet; commit the ledger first, or import without --commit"
        ) from None


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def commit_files(root: Path, paths: list[Path], message: str, scratch: Path) -> str:
    """One commit of exactly the new files (other staged changes stay staged)."""
    top = gitlog.repository_root(root)
    names = "".join(f"{os.path.relpath(p.resolve(), top.resolve())}\0" for p in paths).encode()
    scratch.mkdir(parents=True, exist_ok=True)
    message_file = scratch / "import-message.txt"
    message_file.write_text(message, encoding="utf-8")
    try:
        gitlog.run_git_waiting_for_index(["add", "--pathspec-from-file=-", "--pathspec-file-nul"], top, stdin=names)
        args = ["commit", "--quiet", "--only", "-F", str(message_file), "--pathspec-from-file=-", "--pathspec-file-nul"]
        gitlog.run_git_waiting_for_index(args, top, stdin=names)
    except gitlog.GitError:
        with contextlib.suppress(gitlog.GitError):
            gitlog.run_git(["rm", "-q", "--cached", "--pathspec-from-file=-", "--pathspec-file-nul"], top, stdin=names)
        raise
    finally:
        message_file.unlink(missing_ok=True)
    return gitlog.run_git(["rev-parse", "--short", "HEAD"], top).strip()
