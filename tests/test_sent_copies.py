"""Proof of what was sent: the exact e-mail delivered and the exact PDF posted are kept under
ledger/sent/, the reminder event points to them, `--commit` commits both, `check` flags a
copy outside the ledger or missing, `audit` flags a committed copy changed, and the handover
dossier holds the copies and the receipt of registered letters."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEMO, DEMO_TODAY
from gitledger import CASE_PATH, GIT_ENV, make_ledger
from test_send import Inbox, cli, inbox, repo  # noqa: F401  (fixtures)

from relancegit.cli import main
from relancegit.read.load import load_ledger

_LINE_END = re.compile(rb"\r\n|\r|\n")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def in_git(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the folder holding `ledger/` a git repository with everything committed."""
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    top = ledger.parent
    git(top, "init", "-q", "-b", "main")
    git(top, "config", "user.name", "Claire Martin")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "Demo ledger")
    return top


def sent_files(ledger: Path) -> list[str]:
    folder = ledger / "sent"
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def test_send_keeps_the_message_as_delivered_and_commits_it_with_the_event(
    repo: Path,  # noqa: F811
    inbox: tuple[Inbox, int],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, _ = inbox
    top = in_git(repo, monkeypatch)
    result = cli(repo, "send", "2026-0256", "--commit")
    assert result.exit_code == 0, result.output
    assert len(server.raw) == 1
    copy = repo / "sent" / "2026-0256" / "2026-11-23-reminder-1.eml"
    kept = copy.read_bytes()
    # Byte for byte what the server got (the SMTP transport's line ends aside).
    assert _LINE_END.sub(b"\r\n", kept) == _LINE_END.sub(b"\r\n", server.raw[0])
    assert b"X-Relancegit-Step: reminder-1" in kept
    case = load_ledger(repo, DEMO_TODAY).ledger.cases["2026-0256"]
    assert case.events[-1].document == "sent/2026-0256/2026-11-23-reminder-1.eml"  # type: ignore[union-attr]
    # One commit holds the case file and the copy; nothing is left over.
    changed = git(top, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["ledger/cases/2026/2026-0256.yaml", "ledger/sent/2026-0256/2026-11-23-reminder-1.eml"]
    assert git(top, "status", "--porcelain", "--", "ledger") == ""
    assert list((top / ".relancegit" / "sent").glob("*.eml")) == []  # moved into the ledger

    # A second run sends nothing and copies nothing.
    again = cli(repo, "send", "2026-0256", "--commit")
    assert len(server.raw) == 1 and "skipped" in again.output
    assert sent_files(repo) == ["2026-0256/2026-11-23-reminder-1.eml"]
    assert copy.read_bytes() == kept


def test_a_run_interrupted_after_sending_keeps_the_copy_when_it_records(
    repo: Path,  # noqa: F811
    inbox: tuple[Inbox, int],  # noqa: F811
) -> None:
    from relancegit.write import mail

    server, _ = inbox

    def crash(*args: object) -> None:
        raise KeyboardInterrupt  # killed between the server's 250 and the event

    ledger = load_ledger(repo, DEMO_TODAY).ledger
    with pytest.raises(KeyboardInterrupt):
        mail.send(ledger, DEMO_TODAY, case_ids=["2026-0256"], record=crash)
    assert len(server.raw) == 1 and sent_files(repo) == []
    result = cli(repo, "send", "--due")
    assert "recovered 2026-0256 reminder-1" in result.output
    kept = (repo / "sent" / "2026-0256" / "2026-11-23-reminder-1.eml").read_bytes()
    delivered = server.raw[[m["X-Relancegit-Case"] for m in server.messages].index("2026-0256")]
    assert _LINE_END.sub(b"\r\n", kept) == _LINE_END.sub(b"\r\n", delivered)
    assert [m["X-Relancegit-Case"] for m in server.messages].count("2026-0256") == 1


@pytest.fixture
def demo_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(DEMO, tmp_path / "ledger")
    in_git(tmp_path / "ledger", monkeypatch)
    return tmp_path / "ledger"


def run(ledger: Path, *args: str) -> object:
    return CliRunner().invoke(main, ["--ledger", str(ledger), "--today", "2026-11-23", *args])


def test_letter_record_keeps_the_pdf_written_and_records_the_rendered_step(demo_git: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(demo_git, "letter", "2026-0220", "--format", "pdf", "-o", str(out), "--record", "--commit")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    written = out / "2026-0220-formal-notice.pdf"
    copy = demo_git / "sent" / "2026-0220" / "2026-11-23-formal-notice.pdf"
    assert written.read_bytes().startswith(b"%PDF") and copy.read_bytes() == written.read_bytes()
    assert "kept as sent/2026-0220/2026-11-23-formal-notice.pdf" in result.output  # type: ignore[attr-defined]
    assert "not recorded yet" not in result.output  # type: ignore[attr-defined]
    event = load_ledger(demo_git, DEMO_TODAY).ledger.cases["2026-0220"].events[-1]
    assert (event.type, event.step, event.channel, event.document) == (  # type: ignore[union-attr]
        "reminder",
        "formal-notice",
        "registered-letter",
        "sent/2026-0220/2026-11-23-formal-notice.pdf",
    )
    top = demo_git.parent
    changed = git(top, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["ledger/cases/2026/2026-0220.yaml", "ledger/sent/2026-0220/2026-11-23-formal-notice.pdf"]
    assert git(top, "status", "--porcelain", "--", "ledger") == ""

    # The same step again: refused, nothing written, kept or recorded.
    again = run(
        demo_git, "letter", "2026-0220", "--step", "formal-notice", "--format", "pdf", "-o", str(out), "--record"
    )
    assert again.exit_code == 1  # type: ignore[attr-defined]
    assert "2026-0220: formal-notice is already recorded (on 2026-11-23)" in again.output  # type: ignore[attr-defined]
    assert sent_files(demo_git) == ["2026-0220/2026-11-23-formal-notice.pdf"]


def test_letter_record_needs_a_policy_step_and_an_output_folder(demo_git: Path, tmp_path: Path) -> None:
    before = (demo_git / "cases" / "2026" / "2026-0195.yaml").read_bytes()
    no_dir = run(demo_git, "letter", "2026-0220", "--record")
    assert no_dir.exit_code == 2 and "--record keeps the letter of one CASE written with -o DIR" in no_dir.output  # type: ignore[attr-defined]
    args = ["letter", "2026-0195", "--step", "promise-confirmation", "-o", str(tmp_path / "o"), "--record"]
    not_step = run(demo_git, *args)
    assert not_step.exit_code == 2, not_step.output  # type: ignore[attr-defined]
    assert "'promise-confirmation' is not a step of the case's policy" in not_step.output  # type: ignore[attr-defined]
    assert (demo_git / "cases" / "2026" / "2026-0195.yaml").read_bytes() == before
    assert sent_files(demo_git) == []


def test_check_locates_a_document_outside_the_ledger_or_missing(demo_git: Path) -> None:
    case = demo_git / "cases" / "2026" / "2026-0208.yaml"
    text = case.read_text("utf-8")
    line_no = next(i for i, line in enumerate(text.splitlines(), 1) if "received: 2026-11-10" in line)
    outside = text.replace("received: 2026-11-10,", "received: 2026-11-10, document: ../../etc/passwd,", 1)
    case.write_text(outside, "utf-8")
    result = run(demo_git, "check")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert f"{case}:{line_no}:" in result.output and "must be a path relative to ledger/, inside it" in result.output  # type: ignore[attr-defined]
    missing = text.replace("received: 2026-11-10,", "received: 2026-11-10, document: sent/2026-0208/x.pdf,", 1)
    case.write_text(missing, "utf-8")
    result = run(demo_git, "check")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"{case}:{line_no}:" in result.output  # type: ignore[attr-defined]
    assert "warning: document 'sent/2026-0208/x.pdf' not found (the copy of what was sent)" in result.output  # type: ignore[attr-defined]


def test_the_dossier_holds_the_copies_sent_and_the_receipt_date(demo_git: Path, tmp_path: Path) -> None:
    case = demo_git / "cases" / "2026" / "2026-0208.yaml"
    copy = demo_git / "sent" / "2026-0208" / "2026-11-09-formal-notice.pdf"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"%PDF-1.7 the registered letter as posted")
    text = case.read_text("utf-8")
    kept = "received: 2026-11-10, document: sent/2026-0208/2026-11-09-formal-notice.pdf,"
    case.write_text(text.replace("received: 2026-11-10,", kept, 1), "utf-8")
    out = tmp_path / "out"
    result = run(demo_git, "letter", "2026-0208", "--step", "escalate", "-o", str(out))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    dossier = out / "2026-0208-escalate"
    assert (dossier / "sent" / "2026-11-09-formal-notice.pdf").read_bytes() == copy.read_bytes()
    regenerated = sorted(p.name for p in (dossier / "regenerated").iterdir())
    assert regenerated == ["2026-09-28-reminder-1.md", "2026-10-05-reminder-2.md", "2026-10-26-letter.md"]
    summary = (dossier / "summary.md").read_text("utf-8")
    assert "reçue le 10 novembre 2026 (accusé de réception) — copie exacte : `sent/2026-11-09-formal-notice.pdf`" in (
        summary.replace("\u202f", " ").replace("\u00a0", " ")
    )
    assert "copies exactes conservées lors de l'envoi (dossier `sent/`)" in summary
    assert "ce ne sont pas les documents envoyés eux-mêmes (dossier `regenerated/`)" in summary


def test_audit_flags_a_kept_copy_changed_after_its_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from relancegit.write.record import Document, record

    git_ledger = make_ledger(tmp_path, monkeypatch)
    git_ledger.at("2026-10-20")
    done = record(
        git_ledger.ledger,
        "2026-0042",
        "reminder",
        ["step=letter", "channel=letter"],
        DEMO_TODAY.replace(month=10, day=20),
        commit=True,
        document=Document(b"%PDF-1.7 as posted", "pdf"),
    )
    assert done.event["document"] == "sent/2026-0042/2026-10-20-letter.pdf"
    assert git_ledger.git("show", "--name-only", "--format=", "HEAD").split() == [
        CASE_PATH,
        "ledger/sent/2026-0042/2026-10-20-letter.pdf",
    ]
    clean = git_ledger.run("--today", "2026-10-30", "audit")
    assert clean.exit_code == 0, clean.output  # adding a copy is what record does
    path = git_ledger.ledger / "sent" / "2026-0042" / "2026-10-20-letter.pdf"
    path.chmod(0o644)
    path.write_bytes(b"%PDF-1.7 edited afterwards")
    git_ledger.at("2026-10-21")
    edited = git_ledger.commit("Touch up the letter")
    path.unlink()
    git_ledger.at("2026-10-22")
    deleted = git_ledger.commit("Drop the letter")
    result = git_ledger.run("--today", "2026-10-30", "audit")
    assert result.exit_code == 1, result.output
    assert edited[:7] in result.output and deleted[:7] in result.output
    assert "ledger/sent/2026-0042/2026-10-20-letter.pdf" in result.output
    assert "a kept copy of what was sent was modified" in result.output
    assert "a kept copy of what was sent was deleted" in result.output


def test_a_staged_edit_of_a_kept_copy_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from relancegit.write.record import Document, record

    git_ledger = make_ledger(tmp_path, monkeypatch)
    done = record(
        git_ledger.ledger,
        "2026-0042",
        "reminder",
        ["step=letter", "channel=letter"],
        DEMO_TODAY.replace(month=10, day=20),
        commit=True,
        document=Document(b"%PDF-1.7 as posted", "pdf"),
    )
    path = git_ledger.ledger / str(done.event["document"])
    path.chmod(0o644)
    path.write_bytes(b"%PDF-1.7 edited")
    git_ledger.git("add", "-A")
    refused = git_ledger.run("--today", "2026-10-30", "audit", "--staged")
    assert refused.exit_code == 1, refused.output
    assert "ledger/sent/2026-0042/2026-10-20-letter.pdf" in refused.output
    assert "a kept copy of what was sent was modified" in refused.output
    git_ledger.git("reset", "-q", "--hard")
    git_ledger.write("ledger/sent/2026-0042/2026-10-21-letter.pdf", b"%PDF-1.7 another")
    git_ledger.git("add", "-A")
    assert git_ledger.run("--today", "2026-10-30", "audit", "--staged").exit_code == 0  # adding one is fine


def test_no_copy_is_left_without_its_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from relancegit.git.gitlog import GitError
    from relancegit.write.record import Document, RecordRefused, record

    git_ledger = make_ledger(tmp_path, monkeypatch)
    before = git_ledger.read()
    day = DEMO_TODAY.replace(month=10, day=20)
    pdf = Document(b"%PDF-1.7 as posted", "pdf")
    # An event the checks refuse (an unknown step): no copy kept.
    with pytest.raises(RecordRefused) as refused:
        record(git_ledger.ledger, "2026-0042", "reminder", ["step=lettre"], day, document=pdf)
    assert "unknown step 'lettre'" in refused.value.problems[0].message
    assert git_ledger.read() == before and sent_files(git_ledger.ledger) == []
    # A commit refused by a hook: the case file is as committed and the copy is gone, unstaged.
    hook = git_ledger.root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'refused by policy' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(GitError, match=re.escape("2026-0042.yaml was left as last committed")):
        record(git_ledger.ledger, "2026-0042", "reminder", ["step=letter"], day, commit=True, document=pdf)
    assert git_ledger.read() == before and sent_files(git_ledger.ledger) == []
    assert git_ledger.git("status", "--porcelain", "--", "ledger") == ""
