"""`send` against a real SMTP server on loopback (aiosmtpd): sent once, recorded once, even
when a run is interrupted between sending and recording."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from conftest import DEMO, DEMO_TODAY

from relancegit.cli import main
from relancegit.read.load import load_ledger
from relancegit.write import mail

# ledger/COVERAGE.md: the due automatic e-mail steps on 2026-11-23.
DUE = {("2026-0248", "reminder-2"), ("2026-0249", "pre-due"), ("2026-0256", "reminder-1"), ("2026-0262", "pre-due")}


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.raw: list[bytes] = []  # the DATA as received, for the kept copies
        self.refuse: set[str] = set()
        self.refuse_content = False
        self.connections = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: Any) -> Any:
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_content:
            return "554 5.7.1 rejected as spam"
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        self.raw.append(envelope.content)
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
    copy = "sent/2026-0256/2026-11-23-reminder-1.eml"
    assert f"step: reminder-1, channel: email, document: {copy}, note: e-mail {message['Message-ID']}" in case_text
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

    def dies(*_: Any) -> None:
        raise KeyboardInterrupt  # after the journal entry and DATA's go-ahead, before the content

    monkeypatch.setattr(mail, "transmit", dies)
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


# --- servers that stall or hang up: only the message in flight is uncertain ----------------


class StallingServer:
    """A raw SMTP server on loopback that misbehaves at one point of the exchange.

    `silent`: accepts the connection and never greets. `no-go-ahead`: greets and accepts the
    envelope, never answers DATA. `no-answer`: takes the content, never answers it. `hang-up`:
    takes the content and closes the connection without answering."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = int(self.listener.getsockname()[1])
        self.connections = 0
        self.contents: list[Any] = []
        self.stopped = threading.Event()
        self.open: list[socket.socket] = []
        self.threads = [threading.Thread(target=self.serve, daemon=True)]
        self.threads[0].start()

    def serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            self.open.append(conn)
            thread = threading.Thread(target=self.talk, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def talk(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ValueError):  # the client went away: nothing to do
            self.exchange(conn)

    def exchange(self, conn: socket.socket) -> None:
        if self.mode == "silent":
            self.stopped.wait()
            return
        conn.sendall(b"220 stall.example ESMTP\r\n")
        lines = conn.makefile("rb")
        for line in lines:
            command = line[:4].upper()
            if command == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            if command != b"DATA":
                conn.sendall(b"250 OK\r\n")
                continue
            if self.mode == "no-go-ahead":
                self.stopped.wait()
                return
            conn.sendall(b"354 go ahead\r\n")
            content = b"".join(iter(lines.readline, b".\r\n"))
            self.contents.append(BytesParser(policy=policy.default).parsebytes(content))
            if self.mode == "hang-up":
                conn.shutdown(socket.SHUT_RDWR)
                conn.close()
                return
            self.stopped.wait()
            return

    def steps(self) -> set[tuple[str, str]]:
        return {(m["X-Relancegit-Case"], m["X-Relancegit-Step"]) for m in self.contents}

    def stop(self) -> None:
        self.stopped.set()
        self.threads[0].join(timeout=5)  # the accepting loop first, then what it opened
        self.listener.close()
        for conn in self.open:
            with contextlib.suppress(OSError):
                conn.close()
        for thread in self.threads[1:]:
            thread.join(timeout=5)


@pytest.fixture
def stalling() -> Iterator[Callable[[str], StallingServer]]:
    servers: list[StallingServer] = []

    def start(mode: str) -> StallingServer:
        servers.append(StallingServer(mode))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def point_smtp(root: Path, port: int, timeouts: str = "") -> None:
    config = root / "relancegit.yaml"
    text = config.read_text("utf-8")
    smtp = re.search(SMTP_BLOCK, text)
    assert smtp is not None
    replacement = re.sub(r"  port: \d+\n", f"  port: {port}\n", smtp.group(0))
    replacement = re.sub(r"  (data_)?timeout: .*\n", "", replacement) + timeouts
    config.write_text(text[: smtp.start()] + replacement + text[smtp.end() :], "utf-8")


SHORT = "  timeout: 0.5\n  data_timeout: 0.5\n"


def journal_states(root: Path) -> dict[tuple[str, str], str]:
    folder = mail.journal_dir(root)
    entries = [mail._read_entry(p) for p in folder.glob("*.json")] if folder.is_dir() else []
    return {(e["case"], e["step"]): e["state"] for e in entries}


def outcome_lines(output: str) -> dict[tuple[str, str], str]:
    found = {}
    for line in output.splitlines():
        match = re.match(r"^(\w+) +(\S+) (\S+): (.*)$", line)
        if match:
            found[(match[2], match[3])] = f"{match[1]}: {match[4]}"
    return found


def timed_send(root: Path) -> tuple[Any, float]:
    started = time.monotonic()
    result = cli(root, "send", "--due")
    return result, time.monotonic() - started


def test_a_server_that_never_greets_costs_one_timeout_and_claims_nothing(
    repo: Path, inbox: tuple[Inbox, int], stalling: Callable[[str], StallingServer]
) -> None:
    healthy, port = inbox
    stalled = stalling("silent")
    point_smtp(repo, stalled.port, SHORT)
    result, elapsed = timed_send(repo)
    assert result.exit_code == 1
    assert elapsed < 3  # one connection attempt, not one per message
    assert stalled.connections == 1
    expected = (
        f"failed: not sent: cannot connect to the SMTP server 127.0.0.1:{stalled.port}: "
        "no answer within 0.5 s (smtp.timeout); the next run tries again"
    )
    assert outcome_lines(result.output) == dict.fromkeys(DUE, expected)
    assert journal_states(repo) == {}
    assert all(reminders(repo, case_id, step) == 0 for case_id, step in DUE)

    point_smtp(repo, port)
    result = cli(repo, "send", "--due")
    assert result.exit_code == 0, result.output
    assert sorted(healthy.steps()) == sorted(DUE) and len(healthy.messages) == 4
    assert all(reminders(repo, case_id, step) == 1 for case_id, step in DUE)
    assert set(journal_states(repo).values()) == {"recorded"}


def test_a_server_that_never_answers_data_reconnects_once_then_stops(
    repo: Path, inbox: tuple[Inbox, int], stalling: Callable[[str], StallingServer]
) -> None:
    healthy, port = inbox
    stalled = stalling("no-go-ahead")
    point_smtp(repo, stalled.port, SHORT)
    result, elapsed = timed_send(repo)
    assert result.exit_code == 1
    assert elapsed < 4  # two waits of 0.5 s (the first connection, then one more)
    assert stalled.connections == 2 and stalled.contents == []
    lines = outcome_lines(result.output)
    waited = (
        "failed: not sent: the SMTP exchange failed before the message was sent: no answer within 0.5 s (smtp.timeout)"
    )
    assert sorted(lines.values()) == sorted(
        [f"{waited}; the next run tries again"] * 2
        + [
            "failed: not sent: the SMTP server failed twice in this run (no answer in time, or connection lost); "
            "the next run tries again"
        ]
        * 2
    )
    assert journal_states(repo) == {}  # nothing was in flight: nothing claimed
    assert all(reminders(repo, case_id, step) == 0 for case_id, step in DUE)

    point_smtp(repo, port)
    result = cli(repo, "send", "--due")
    assert result.exit_code == 0, result.output
    assert sorted(healthy.steps()) == sorted(DUE) and len(healthy.messages) == 4
    assert all(reminders(repo, case_id, step) == 1 for case_id, step in DUE)


@pytest.mark.parametrize("mode", ["no-answer", "hang-up"])
def test_an_unconfirmed_message_is_the_only_one_in_flight(
    repo: Path, inbox: tuple[Inbox, int], stalling: Callable[[str], StallingServer], mode: str
) -> None:
    healthy, port = inbox
    stalled = stalling(mode)
    point_smtp(repo, stalled.port, SHORT)
    result, elapsed = timed_send(repo)
    assert result.exit_code == 1
    assert elapsed < 3
    assert len(stalled.contents) == 1 and stalled.connections == 1
    (in_flight,) = stalled.steps()
    lines = outcome_lines(result.output)
    assert lines.pop(in_flight).startswith("failed: the SMTP server did not confirm the message (")
    uncertain = "it may have been delivered, so it is not sent again and the next run records it as sent"
    assert uncertain in result.output
    assert set(lines) == DUE - {in_flight}
    assert set(lines.values()) == {
        "failed: not sent: the SMTP server did not confirm an earlier message of this run; the next run tries again"
    }
    assert journal_states(repo) == {in_flight: "sending"}  # only the message in flight
    assert all(reminders(repo, case_id, step) == 0 for case_id, step in DUE)

    point_smtp(repo, port)
    result = cli(repo, "send", "--due")
    assert result.exit_code == 0, result.output
    assert f"recovered {in_flight[0]} {in_flight[1]}" in result.output and "check the mail server" in result.output
    # The uncertain one is recorded, never sent a second time; the three others go out once.
    assert sorted(healthy.steps()) == sorted(DUE - {in_flight}) and len(healthy.messages) == 3
    assert all(reminders(repo, case_id, step) == 1 for case_id, step in DUE)
    assert set(journal_states(repo).values()) == {"recorded"}
    again = cli(repo, "send", "--due")
    assert again.exit_code == 0 and len(healthy.messages) == 3


def test_what_cannot_be_recorded_is_not_sent(repo: Path, inbox: tuple[Inbox, int]) -> None:
    """A later-dated event in the case: its reminder could not be recorded, so it is not sent."""
    server, _ = inbox
    case_file = repo / "cases" / "2026" / "2026-0256.yaml"
    original = case_file.read_text("utf-8")
    case_file.write_text(original + "  - {date: 2026-11-30, type: note, note: called back}\n", "utf-8")
    expected = (
        f"failed    2026-0256 reminder-1: not sent: its reminder, dated 2026-11-23, could not be recorded in "
        f"{case_file}: event dated 2026-11-23 comes after one dated 2026-11-30: events are appended in date order"
    )
    for _ in range(2):  # refused again, still before sending, until the file is fixed
        result = cli(repo, "send", "--due")
        assert result.exit_code == 1
        assert expected in result.output.splitlines()
        assert sorted(server.steps()) == sorted(DUE - {("2026-0256", "reminder-1")})
        assert ("2026-0256", "reminder-1") not in journal_states(repo)
        assert reminders(repo, "2026-0256", "reminder-1") == 0

    case_file.write_text(original, "utf-8")
    result = cli(repo, "send", "--due")
    assert result.exit_code == 0, result.output
    assert sorted(server.steps()) == sorted(DUE) and len(server.messages) == 4
    assert reminders(repo, "2026-0256", "reminder-1") == 1


def test_a_refused_content_is_not_claimed_and_the_run_goes_on(repo: Path, inbox: tuple[Inbox, int]) -> None:
    server, _ = inbox
    server.refuse_content = True
    result = cli(repo, "send", "--due")
    assert result.exit_code == 1
    refused = (
        "failed: not sent: message refused by the SMTP server: 554 5.7.1 rejected as spam; the next run tries again"
    )
    assert outcome_lines(result.output) == dict.fromkeys(DUE, refused)
    assert server.connections == 1  # one connection for the four: a refusal is an answer
    assert journal_states(repo) == {}
    assert all(reminders(repo, case_id, step) == 0 for case_id, step in DUE)
    server.refuse_content = False
    result = cli(repo, "send", "--due")
    assert result.exit_code == 0, result.output
    assert sorted(server.steps()) == sorted(DUE) and len(server.messages) == 4


def test_a_sender_without_an_address_fails_before_connecting(repo: Path, inbox: tuple[Inbox, int]) -> None:
    server, _ = inbox
    config = repo / "relancegit.yaml"
    text = config.read_text("utf-8")
    config.write_text(re.sub(r'  from: ".*"\n', '  from: "Compta:;"\n', text), "utf-8")
    result = cli(repo, "send", "2026-0248")
    assert result.exit_code == 1
    assert outcome_lines(result.output) == {
        ("2026-0248", "reminder-2"): "failed: no sender or recipient address in From: Compta:; "
        "To: Julien Perrot <j.perrot@nexa-informatique.example>"
    }
    assert server.connections == 0 and journal_states(repo) == {}


def test_send_due_says_why_each_due_email_step_is_not_sent(repo: Path, tmp_path: Path) -> None:
    """A due e-mail step left out is named with its reason and the way to enable it, instead of
    a bare "nothing to send": a step without `auto: true`, a client without an e-mail address."""
    config = repo / "relancegit.yaml"
    text = config.read_text("utf-8")
    manual = "{id: reminder-1, offset: 1, channel: email, auto: true}"
    assert text.count(manual) == 1  # the default policy's first reminder
    config.write_text(text.replace(manual, manual.replace(", auto: true", "")), "utf-8")
    client = repo / "clients" / "imprimerie-roux.yaml"
    client.write_text(re.sub(r", email: [^,}]+", "", client.read_text("utf-8")), "utf-8")

    result = cli(repo, "send", "--due", "--dry-run", "--outbox", str(tmp_path / "outbox"))
    assert result.exit_code == 0, result.output
    no_address = "client 'imprimerie-roux' has no e-mail address (add one under contacts: in its file)"
    not_auto = (
        "step 'reminder-1' is not automatic: add 'auto: true' to it under policies: default: steps: "
        "in relancegit.yaml, or send it with `letter`"
    )
    skipped = [line for line in result.output.splitlines() if line.startswith("skipped")]
    assert skipped == [
        f"skipped   2026-0256 reminder-1: not sent: {not_auto}; {no_address}",
        f"skipped   2026-0262 pre-due: not sent: {no_address}",
    ]
    written = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert written == ["2026-0248-reminder-2.eml", "2026-0249-pre-due.eml"]
    # Named explicitly, a case left out says the same.
    again = cli(repo, "send", "2026-0262", "--dry-run", "--outbox", str(tmp_path / "outbox"))
    assert again.output.splitlines() == [f"skipped   2026-0262 pre-due: not sent: {no_address}"]
