"""`history` and `audit`: git as the audit log of the cases.

Layer: the command layer (see `commands/__init__.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from relancegit.commands.common import Options, print_json
from relancegit.problems import UsageError
from relancegit.read.discover import find_ledger


def history(obj: Options, case_id: str) -> None:
    from relancegit.git.history import case_history, format_history
    from relancegit.read.handles import resolve_case_handle

    root = find_ledger(obj.ledger)
    entries = case_history(root, resolve_case_handle(root, case_id, obj.today))
    if obj.format == "json":
        print_json([entry.to_json() for entry in entries])
    else:
        click.echo(format_history(entries))


def audit(
    obj: Options,
    since: str | None,
    published: str | None,
    accept_commit: str | None,
    reason: str | None,
    staged: bool,
) -> None:
    from relancegit.git.audit import BadPublishedFile, count_commits, default_published, format_report, record_published
    from relancegit.git.audit import audit as audit_history

    root = find_ledger(obj.ledger)
    if accept_commit is not None or reason is not None:
        accept_reviewed(obj, root, accept_commit, reason)
        return
    if staged:
        check_staged(obj, root)
        return
    head_file = (Path(published) if published else default_published(root)) if published is not None else None
    try:
        if sys.stderr.isatty() and obj.format == "text":
            with click.progressbar(length=count_commits(root, since), label="auditing", file=sys.stderr) as bar:
                report = audit_history(root, since, progress=lambda _: bar.update(1), published=head_file)
        else:
            report = audit_history(root, since, published=head_file)
    except BadPublishedFile as exc:
        click.echo(exc.problem.format(), err=True)
        sys.exit(1)
    if obj.format == "json":
        print_json(report.to_json())
    else:
        click.echo(format_report(report))
    if report.ok and head_file is not None and report.head:
        record_published(head_file, report.head, obj.today)
    sys.exit(0 if report.ok else 1)


def accept_reviewed(obj: Options, root: Path, commit: str | None, reason: str | None) -> None:
    """`audit --accept COMMIT --reason TEXT`."""
    from relancegit.git import gitlog
    from relancegit.git.accepted import accept
    from relancegit.git.audit import audit as audit_history
    from relancegit.write.lock import ledger_write_lock
    from relancegit.write.record import git_user

    if not commit or reason is None:
        raise UsageError("--accept COMMIT and --reason TEXT go together")
    repo = gitlog.repository_root(root)
    full = gitlog.commit_id(repo, commit)
    if full is None:
        raise UsageError(f"--accept: unknown commit '{commit}'")
    report = audit_history(root)
    with ledger_write_lock(root):  # one writer of the ledger's files at a time
        path = accept(root, full, reason, obj.today, git_user(root) or "?", [v.commit.sha for v in report.violations])
    count = sum(v.commit.sha == full for v in report.violations)
    click.echo(f"accepted {count} violation(s) of {full[:8]} in {path}")
    click.echo(f"commit it: git add {path} && git commit -m 'audit: accept {full[:8]}'")


def check_staged(obj: Options, root: Path) -> None:
    """`audit --staged` (the pre-commit hook)."""
    from relancegit.git.audit import RECOVERY, audit_staged
    from relancegit.write.record import git_user

    report = audit_staged(root, obj.today, git_user(root) or "")
    for finding in report.violations:
        click.echo(f"relancegit: error: {finding.file}: {finding.message}", err=True)
    if report.violations:
        click.echo(
            "relancegit: commit refused: committed events are never edited, nor invoices' numbers, "
            f"amounts and due dates. {RECOVERY}",
            err=True,
        )
        sys.exit(1)
