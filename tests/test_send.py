"""`send` against a real SMTP server on loopback (aiosmtpd): sent once, recorded once, even
when a run is interrupted between sending and recording."""

from __future__ import annotations

import re
import shutil
import smtplib
import socket
from collections.abc import Iterator
from datetime import date
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from conftest import DEMO, DEMO_TODAY

from relancegit import mail
from relancegit.cli import main
from relancegit.load import load_ledger

# ledger/COVERAGE.md: the due automatic e-mail steps on 2026-11-23.
DUE = {("2026-0248", "reminder-2"), ("2026-0249", "pre-due"), ("2026-0256", "reminder-1"), ("2026-0262", "pre-due")}


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]

    def steps(self) -> set[tuple[str, str]]:
        return {(m["X-Relancegit-Case"], m["X-Relancegit-Step"]) for m in self.messages}


SMTP_BLOCK = re.compile(r"^smtp:\n(?:  .*\n)+", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def repo(tmp_path: Path, inbox: tuple[Inbox, int]) -> Path:
    """A copy of the demo ledger whose smtp: points at the test server (no TLS, no login)."""
    _, port = inbox
    shutil.copytree(DEMO, tmp_path / "ledger")
    config = tmp_path / "ledger" / "relancegit.yaml"
    text = config.read_text("utf-8")
    smtp = re.search(SMTP_BLOCK, text)
    assert smtp is not None
    replacement = (
        "smtp:\n  host: 127.0.0.1\n"
        f"  port: {port}\n"
        '  from: "Atelier Dupré — Comptabilité <compta@atelier-dupre.example>"\n  starttls: false\n'
    )
    config.write_text(text[: smtp.start()] + replacement + text[smtp.end() :], "utf-8")
    return tmp_path / "ledger"


def cli(root: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--ledger", str(root), "--today", "2026-11-23", *args])


def reminders(root: Path, case_id: str, step: str) -> int:
    case = load_ledger(root, DEMO_TODAY).ledger.cases[case_id]
    return sum(1 for e in case.events if getattr(e, "type", "") == "reminder" and getattr(e, "step", "") == step)


def test_send_delivers_each_due_step_once_and_records_it(repo: Path, inbox: tuple[Inbox, int]) -> None:
    server, _ = inbox
    result = cli(repo, "send", "--due")
    assert result.exit_code == 0, result.output
    assert server.steps() == DUE
    assert len(server.ids()) == len(set(server.ids())) == 4
    for case_id, step in DUE:
        assert reminders(repo, case_id, step) == 1
    message = next(m for m in server.messages if m["X-Relancegit-Case"] == "2026-0256")
    assert message["To"].addresses[0].addr_spec == "agnes@imprimerie-roux.example"
    assert message["Subject"] == "Petit rappel — facture n° F2026-0256"
    assert "1\u202f728,00\u00a0€" in message.get_body(("plain",)).get_content()
    # The recorded event names the message.
    case_text = (repo / "cases" / "2026" / "2026-0256.yaml").read_text("utf-8")
    assert f"step: reminder-1, channel: email, note: e-mail {message['Message-ID']}" in case_text
    assert load_ledger(repo, DEMO_TODAY).errors == []

    # A second run finds nothing due (the steps are done) and sends nothing.
    again = cli(repo, "send", "--due")
    assert again.exit_code == 0 and len(server.messages) == 4
    # Asking for a case explicitly does not send it again either.
    again = cli(repo, "send", "2026-0256")
    assert len(server.messages) == 4 and "skipped" in again.output


def test_an_interrupted_run_is_recorded_not_resent(repo: Path, inbox: tuple[Inbox, int]) -> None:
    server, _ = inbox
    ledger = load_ledger(repo, DEMO_TODAY).ledger

    def crash(*_: Any) -> None:
        raise KeyboardInterrupt  # the process dies after the SMTP server accepted the message

    with pytest.raises(KeyboardInterrupt):
        mail.send(ledger, DEMO_TODAY, due=True, record=crash)
    assert len(server.messages) == 1
    crashed_case = server.messages[0]["X-Relancegit-Case"]
    crashed_step = server.messages[0]["X-Relancegit-Step"]
    assert reminders(repo, crashed_case, crashed_step) == 0
    entry = mail.Journal(mail.journal_dir(repo)).get(crashed_case, crashed_step)
    assert entry is not None and entry["state"] == "sent"

    result = cli(repo, "send", "--due")
    assert result.exit_code == 0, result.output
    assert f"recovered {crashed_case} {crashed_step}" in result.output
    # Every step went out exactly once, the interrupted one included, and all are recorded.
    assert sorted(server.ids()) == sorted(set(server.ids())) and server.steps() == DUE
    assert len(server.messages) == 4
    for case_id, step in DUE:
        assert reminders(repo, case_id, step) == 1
    # The recovered event is dated the day it was sent.
    assert mail.Journal(mail.journal_dir(repo)).unsettled() == []


def test_a_crash_during_the_smtp_exchange_is_never_resent(
    repo: Path, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = inbox
    ledger = load_ledger(repo, DEMO_TODAY).ledger

    def dies(self: smtplib.SMTP, *_: Any, **__: Any) -> None:
        raise KeyboardInterrupt  # after the journal entry, before the server answered

    monkeypatch.setattr(smtplib.SMTP, "send_message", dies)
    with pytest.raises(KeyboardInterrupt):
        mail.send(ledger, DEMO_TODAY, case_ids=["2026-0248"])
    monkeypatch.undo()
    assert server.messages == []

    result = cli(repo, "send", "--due")
    assert result.exit_code == 0, result.output
    assert "recovered 2026-0248 reminder-2" in result.output and "check the mail server" in result.output
    assert ("2026-0248", "reminder-2") not in server.steps()  # delivery uncertain: never a second one
    assert server.steps() == DUE - {("2026-0248", "reminder-2")}
    assert reminders(repo, "2026-0248", "reminder-2") == 1


def test_a_refused_recipient_is_not_claimed(repo: Path, inbox: tuple[Inbox, int]) -> None:
    server, _ = inbox
    server.refuse.add("j.perrot@nexa-informatique.example")
    result = cli(repo, "send", "2026-0248")
    assert result.exit_code == 1 and "refused by the SMTP server" in result.output
    assert reminders(repo, "2026-0248", "reminder-2") == 0
    assert mail.Journal(mail.journal_dir(repo)).get("2026-0248", "reminder-2") is None
    server.refuse.clear()
    result = cli(repo, "send", "2026-0248")
    assert result.exit_code == 0 and server.steps() == {("2026-0248", "reminder-2")}


def test_dry_run_writes_the_outbox_and_records_nothing(repo: Path, inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    server, _ = inbox
    outbox = tmp_path / "outbox"
    result = cli(repo, "send", "--due", "--dry-run", "--outbox", str(outbox))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in outbox.iterdir()) == sorted(f"{c}-{s}.eml" for c, s in DUE)
    message = BytesParser(policy=policy.default).parsebytes((outbox / "2026-0248-reminder-2.eml").read_bytes())
    assert message["Subject"] == "Deuxième relance — facture n° F2026-0248"
    assert server.messages == []
    for case_id, step in DUE:
        assert reminders(repo, case_id, step) == 0
    assert not mail.journal_dir(repo).exists()


def test_send_needs_a_selection_and_smtp_settings(repo: Path, tmp_path: Path) -> None:
    assert cli(repo, "send").exit_code == 2
    config = repo / "relancegit.yaml"
    text = config.read_text("utf-8")
    config.write_text(SMTP_BLOCK.sub("", text), "utf-8")
    result = cli(repo, "send", "--due")
    assert result.exit_code == 1 and "no smtp" in result.output


def test_password_only_from_the_environment(repo: Path, inbox: tuple[Inbox, int]) -> None:
    ledger = load_ledger(repo, DEMO_TODAY).ledger
    assert ledger.config.smtp is not None
    settings = ledger.config.smtp.model_copy(update={"username": "compta"})
    with pytest.raises(Exception, match="RELANCEGIT_SMTP_PASSWORD"):
        mail.connect(settings, None)


def test_selection_is_the_due_automatic_email_steps() -> None:
    from relancegit.engine.state import compute_all

    ledger = load_ledger(DEMO, DEMO_TODAY).ledger
    chosen = mail.due_emails(compute_all(ledger, DEMO_TODAY))
    assert {(s.id, s.next_action.step if s.next_action else "") for s in chosen} == DUE
    later = mail.due_emails(compute_all(ledger, date(2026, 11, 24)))
    assert ("2026-0234", "reminder-2") not in {(s.id, s.next_action.step if s.next_action else "") for s in later}
