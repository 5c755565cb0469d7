"""`send`: e-mail the due automatic reminders, record them, never send one twice.

Layer: the one module that talks SMTP. It selects the cases whose next action is a dunning
step sent by `email` and marked `auto` in the policy, and due as of `today`; renders each
message (`letters.render.to_email`); sends it; and records a `reminder` event through
`record.record`, the code path of `relancegit record`.

Guarantees, and how:

- **At most once per step of a case.** A message's Message-ID is derived from the ledger, the
  case and the step (`Letter.message_id`), so the same step of the same case always gives the
  same id. Before sending, an entry named after the case and step is *created exclusively*
  (O_EXCL) in the journal folder `.relancegit/sent/` beside `ledger/`, and fsynced: two runs
  at once cannot both claim it, and once it exists the message is never sent again.
- **Recorded even if interrupted.** The entry goes `sending` -> `sent` (after the SMTP server
  accepted the message) -> `recorded` (after the event was written). Each run first settles
  the journal: an entry whose event is not in the case file is recorded now, dated the day it
  was sent, instead of being sent again. An entry left at `sending` (a crash or a dropped
  connection during the SMTP exchange) may or may not have been delivered; it is recorded too,
  with a warning to check the sent mail: never sending twice wins over sending at all.
- **Only the message in flight can be uncertain.** The exchange is split where delivery
  becomes possible: the connection is checked (NOOP) and MAIL, RCPT and DATA run up to the
  server's go-ahead *before* the entry is created, so a refusal, a timeout or a lost
  connection there leaves nothing claimed (the next run sends it). Only after the go-ahead is
  the entry created and the content sent. If the server then refuses it, the entry is removed;
  if its answer never comes (timeout, connection lost), the entry stays `sending` and the run
  sends nothing more (the remaining messages are reported as not sent). A connection lost
  before a message's content is reopened once per run; a server that cannot be reached costs
  one wait, not one per message.
- **Timeouts.** `smtp.timeout` (default 10 s) bounds the connection, the greeting, the login
  and each command's answer; `smtp.data_timeout` (default 30 s) the answer to a message's
  content.
- **Refused before sending what cannot be recorded.** The `reminder` event is checked against
  the case file with the rules of `record` before anything is sent (an event dated later, a
  file with errors): such a message is reported as not sent, and stays so until it is fixed.
- `--dry-run` writes each message as `{case}-{step}.eml` into an outbox folder, sends nothing,
  records nothing and leaves the journal alone.
- With `commit=True`, each recorded event is committed (like `record --commit`); a case file
  with uncommitted changes is refused *before* its message is sent.
- **Proof of what was sent.** The message's bytes, exactly as handed to the server, are saved
  beside the journal entry (`{case}.{step}.eml`) before the content is sent; `record` then
  keeps them as `ledger/sent/{case}/{date}-{step}.eml` (atomically, under the ledger write
  lock, before the event is written) and the event's `document:` points to the copy; with
  `commit=True` the commit holds the case file and the copy. A run interrupted after sending
  keeps the copy too when the next run records the event.

To send a step again on purpose (say, the first e-mail bounced), delete its journal file.
The SMTP password comes only from the environment (`RELANCEGIT_SMTP_PASSWORD`), never a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Any

from relancegit.engine.schedule import ActionKind
from relancegit.engine.state import CaseState, compute_all
from relancegit.letters import letter_for_case, safe_child, write_file
from relancegit.letters.render import to_email
from relancegit.model import Channel, Ledger, Smtp
from relancegit.problems import RelancegitError, Severity, UsageError
from relancegit.read.handles import find_case_file
from relancegit.read.load import demo_shift
from relancegit.write import record as recording

ENV_PASSWORD = "RELANCEGIT_SMTP_PASSWORD"
STATE_DIR = ".relancegit"


class Entry(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    RECORDED = "recorded"


class Result(StrEnum):
    SENT = "sent"  # sent and recorded now
    RECOVERED = "recovered"  # sent by an earlier, interrupted run: recorded now
    WRITTEN = "written"  # --dry-run: written to the outbox
    SKIPPED = "skipped"  # not sent, on purpose (already sent, not due, not automatic)
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    case: str
    step: str
    result: Result
    detail: str = ""
    message_id: str | None = None
    path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.result != Result.FAILED


def journal_dir(ledger_root: Path) -> Path:
    return ledger_root.resolve().parent / STATE_DIR / "sent"


def default_outbox(ledger_root: Path) -> Path:
    return ledger_root.resolve().parent / STATE_DIR / "outbox"


# --- which cases -------------------------------------------------------------------------


def automatic_email(state: CaseState) -> bool:
    """A dunning step sent by e-mail and marked `auto` in the policy."""
    action = state.next_action
    if action is None or action.kind != ActionKind.STEP or action.channel != Channel.EMAIL or not action.step:
        return False
    step = state.policy.step(action.step)
    return step is not None and step.auto


def due_emails(states: Sequence[CaseState]) -> list[CaseState]:
    """The open cases whose next action is a due automatic e-mail step to a client with an
    e-mail address."""
    return [s for s in states if s.is_open and s.action_due and automatic_email(s) and why_not_sent(s) is None]


def why_not_sent(state: CaseState) -> str | None:
    """Why `send` leaves out an open case whose next action is a due e-mail step (not automatic
    in its policy, no e-mail address for the client), or None: nothing e-mail is due, or it
    can be sent."""
    action = state.next_action
    if not state.is_open or not state.action_due or action is None or not action.step:
        return None
    if action.kind != ActionKind.STEP or action.channel != Channel.EMAIL:
        return None
    reasons = []
    step = state.policy.step(action.step)
    if step is not None and not step.auto:
        policy_id = state.case.policy or state.client.policy or "default"
        reasons.append(
            f"step '{action.step}' is not automatic: add 'auto: true' to it under "
            f"policies: {policy_id}: steps: in relancegit.yaml, or send it with `letter`"
        )
    if not any(contact.email for contact in state.client.contacts):
        reasons.append(f"client '{state.client.id}' has no e-mail address (add one under contacts: in its file)")
    return "; ".join(reasons) or None


# --- the journal -------------------------------------------------------------------------


class Journal:
    """One small JSON file per (case, step) claimed for sending, written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, case_id: str, step: str) -> Path:
        return safe_child(self.folder, f"{case_id}.{step}.json")

    def claim(self, entry: dict[str, Any]) -> bool:
        """Create the entry (state `sending`); False when it already exists."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(entry["case"], entry["step"])
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({**entry, "state": Entry.SENDING.value}, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        recording.fsync_folder(self.folder)
        return True

    def update(self, entry: dict[str, Any], state: Entry) -> dict[str, Any]:
        updated = {**entry, "state": state.value}
        path = self.path(entry["case"], entry["step"])
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(updated, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
        recording.fsync_folder(self.folder)
        return updated

    def release(self, entry: dict[str, Any]) -> None:
        self.copy_path(entry["case"], entry["step"]).unlink(missing_ok=True)
        self.path(entry["case"], entry["step"]).unlink(missing_ok=True)
        recording.fsync_folder(self.folder)

    def copy_path(self, case_id: str, step: str) -> Path:
        """The message exactly as handed to the server, until `record` keeps it in the ledger."""
        return safe_child(self.folder, f"{case_id}.{step}.eml")

    def keep(self, entry: dict[str, Any], content: bytes) -> None:
        """Save the message's bytes beside its entry (claimed first: only this run writes it)."""
        path = self.copy_path(entry["case"], entry["step"])
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
        recording.fsync_folder(self.folder)

    def get(self, case_id: str, step: str) -> dict[str, Any] | None:
        path = self.path(case_id, step)
        return _read_entry(path) if path.exists() else None

    def unsettled(self) -> list[dict[str, Any]]:
        """Entries not yet known to be recorded."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob("*.json")):
            entry = _read_entry(path)
            if entry.get("state") != Entry.RECORDED.value:
                found.append(entry)
        return found


def _read_entry(path: Path) -> dict[str, Any]:
    """An entry; one cut short by a crash while it was being created counts as `sending`."""
    try:
        entry = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        entry = None
    if not isinstance(entry, dict) or "case" not in entry or "step" not in entry:
        case_id, _, rest = path.name.removesuffix(".json").partition(".")
        return {"case": case_id, "step": rest, "state": Entry.SENDING.value, "date": None, "message_id": None}
    return entry


# --- recording -----------------------------------------------------------------------------


def record_sent(root: Path, entry: dict[str, Any], today: date, commit: bool) -> None:
    """The `reminder` event of a sent message, through the code of `relancegit record`."""
    sent_on = date.fromisoformat(entry["date"]) if entry.get("date") else today
    assignments = [f"step={entry['step']}", "channel=email"]
    if entry.get("message_id"):
        assignments.append(f"note=e-mail {entry['message_id']}")
    kept = Journal(journal_dir(root)).copy_path(entry["case"], entry["step"])
    try:
        document = recording.Document(kept.read_bytes(), "eml")
    except FileNotFoundError:
        document = None  # sent by a version that kept no copy, or lost: recorded without one
    except OSError as exc:
        raise RelancegitError(f"cannot read the copy of the message sent, {kept}: {exc.strerror or exc}") from None
    recording.record(
        root, entry["case"], "reminder", assignments, today, commit=commit, event_date=sent_on, document=document
    )
    kept.unlink(missing_ok=True)  # now in ledger/sent/


def _step_recorded(ledger: Ledger, case_id: str, step: str) -> bool:
    case = ledger.cases.get(case_id)
    if case is None:
        return False
    return any(getattr(e, "type", None) == "reminder" and getattr(e, "step", None) == step for e in case.events)


def settle_journal(
    journal: Journal,
    ledger: Ledger,
    today: date,
    commit: bool,
    record: Callable[[Path, dict[str, Any], date, bool], None] = record_sent,
) -> list[Outcome]:
    """Record what an interrupted run sent but did not record, instead of sending it again."""
    outcomes = []
    for entry in journal.unsettled():
        case_id, step = entry["case"], entry["step"]
        if _step_recorded(ledger, case_id, step):
            journal.update(entry, Entry.RECORDED)
            continue
        uncertain = entry.get("state") == Entry.SENDING.value
        try:
            record(ledger.root, entry, today, commit)
        except RelancegitError as exc:
            detail = f"sent earlier but not recorded: {_why(exc)}; fix the case file: the next run records it"
            outcomes.append(Outcome(case_id, step, Result.FAILED, detail, entry.get("message_id")))
            continue
        journal.update(entry, Entry.RECORDED)
        detail = "sent by an interrupted run; recorded now"
        if uncertain:
            detail = (
                "an earlier run was interrupted while sending: recorded as sent, not sent again; "
                "check the mail server's sent messages"
            )
        outcomes.append(Outcome(case_id, step, Result.RECOVERED, detail, entry.get("message_id")))
    return outcomes


def _why(exc: RelancegitError) -> str:
    """A refusal of `record` with its first reason (the event's or the file's problem)."""
    problems = getattr(exc, "problems", None)
    if problems:
        first = problems[0]
        where = f"{first.file}:{first.line}:{first.column}" if first.line else str(first.file)
        return f"{exc} ({where}: {first.message})"
    return str(exc)


# --- SMTP ------------------------------------------------------------------------------------


class NotSent(RelancegitError):
    """The message was not handed to the server: no connection, or it failed before the content."""


class Refused(NotSent):
    """The server answered no before the content: nothing delivered, the connection still good."""


def connect(settings: Smtp, password: str | None) -> smtplib.SMTP:
    """An authenticated connection: implicit TLS (`ssl: true`) or STARTTLS (`starttls: true`).

    `settings.timeout` bounds the connection, the greeting and each answer until logged in."""
    context = ssl.create_default_context()
    where = f"{settings.host}:{settings.port}"
    client: smtplib.SMTP | None = None
    try:
        if settings.ssl:
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            if settings.starttls:
                client.starttls(context=context)
        if settings.username:
            if password is None:
                raise RelancegitError(
                    f"smtp.username is set: put the password in the environment variable {ENV_PASSWORD}"
                )
            client.login(settings.username, password)
        client.ehlo_or_helo_if_needed()
    except (OSError, smtplib.SMTPException) as exc:
        _close(client)
        raise RelancegitError(
            f"cannot connect to the SMTP server {where}: {_reason(exc, settings.timeout, 'timeout')}"
        ) from None
    except RelancegitError:
        _close(client)
        raise
    return client


def _reason(exc: BaseException, timeout: float, key: str) -> str:
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return f"no answer within {timeout:g} s (smtp.{key})"
    return str(exc) or type(exc).__name__


def _close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        with contextlib.suppress(OSError):
            client.close()


class _Connection:
    """The run's SMTP connection: opened on the first message actually sent (a run with
    nothing to send opens none), checked (NOOP) before each message is claimed, and reopened
    at most once after a timeout or a lost connection. Once it cannot be had, every
    remaining message fails at once as not sent, without waiting again."""

    def __init__(self, settings: Smtp, password: str | None) -> None:
        self.settings, self.password = settings, password
        self.client: smtplib.SMTP | None = None
        self.opened = 0
        self.failure: str | None = None

    def get(self) -> smtplib.SMTP:
        if self.failure is not None:
            raise NotSent(self.failure)
        if self.client is not None:
            try:
                self.client.sock.settimeout(self.settings.timeout)  # type: ignore[union-attr]
                code, _ = self.client.noop()
                if code == 250:
                    return self.client
            except (AttributeError, OSError, smtplib.SMTPException):
                pass
            self.drop()
        if self.opened >= 2:
            self.failure = "the SMTP server failed twice in this run (no answer in time, or connection lost)"
            raise NotSent(self.failure)
        self.opened += 1
        try:
            self.client = connect(self.settings, self.password)
        except RelancegitError as exc:
            self.failure = str(exc)
            raise NotSent(self.failure) from None
        return self.client

    def give_up(self, reason: str) -> None:
        """Send nothing more in this run: every remaining message fails with `reason`."""
        self.drop()
        self.failure = reason

    def drop(self) -> None:
        """Forget a connection that timed out or was lost: the next message reconnects."""
        _close(self.client)
        self.client = None

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                _close(self.client)
            self.client = None


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipients: list[str]
    content: bytes
    international: bool  # an address is not ASCII: the server must offer SMTPUTF8


def envelope(message: EmailMessage) -> Envelope:
    try:
        sender = message["From"].addresses[0].addr_spec
        recipients = [a.addr_spec for a in message["To"].addresses]
    except (AttributeError, IndexError):
        raise RelancegitError(
            f"no sender or recipient address in From: {message['From']} To: {message['To']}"
        ) from None
    international = not all(a.isascii() for a in (sender, *recipients))
    content = message.as_bytes(policy=policy.SMTPUTF8 if international else policy.SMTP)
    return Envelope(sender, recipients, content, international)


def open_transaction(client: smtplib.SMTP, mail: Envelope, timeout: float) -> None:
    """MAIL, RCPT and DATA up to the server's go-ahead (354): nothing can be delivered yet, so
    a refusal or a failure here raises NotSent (the server said no, or never said yes)."""
    client.sock.settimeout(timeout)  # type: ignore[union-attr]
    options: list[str] = []
    if mail.international:
        if not client.has_extn("smtputf8"):
            raise Refused("an address is not ASCII and the SMTP server does not offer SMTPUTF8")
        options = ["SMTPUTF8", "BODY=8BITMIME"]
    try:
        code, answer = client.mail(mail.sender, options)
        if code != 250:
            raise Refused(f"sender refused by the SMTP server: {code} {_text(answer)}")
        for address in mail.recipients:
            code, answer = client.rcpt(address)
            if code not in (250, 251):
                raise Refused(f"recipient {address} refused by the SMTP server: {code} {_text(answer)}")
        client.putcmd("data")
        code, answer = client.getreply()
        if code != 354:
            raise Refused(f"message refused by the SMTP server: {code} {_text(answer)}")
    except Refused:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            client.rset()
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise NotSent(
            f"the SMTP exchange failed before the message was sent: {_reason(exc, timeout, 'timeout')}"
        ) from None


def transmit(client: smtplib.SMTP, mail: Envelope, timeout: float) -> tuple[int, str]:
    """The message's content and the final dot, then the server's answer (waited `timeout`).
    From the first byte on, the server may deliver it even if its answer never comes."""
    client.sock.settimeout(timeout)  # type: ignore[union-attr]
    lines = _LINE_END.sub(b"\r\n", mail.content)
    stuffed = _LEADING_DOT.sub(b"..", lines)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    client.send(stuffed + b".\r\n")
    code, answer = client.getreply()
    return code, _text(answer)


_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _text(answer: bytes) -> str:
    return answer.decode("utf-8", "replace")


# --- the command ---------------------------------------------------------------------------


def select(states: Sequence[CaseState], case_ids: Sequence[str], due: bool) -> tuple[list[CaseState], list[Outcome]]:
    """The cases to e-mail: every due automatic step (`due`), and/or the given cases, each of
    which must have one."""
    if not due and not case_ids:
        raise UsageError("nothing selected: give --due (every due automatic e-mail) or case ids")
    chosen = due_emails(states) if due else []
    skipped = []
    if due:
        for left in states:
            reason = why_not_sent(left)
            if reason is not None and left.id not in case_ids:
                step = left.next_action.step if left.next_action and left.next_action.step else ""
                skipped.append(Outcome(left.id, step, Result.SKIPPED, f"not sent: {reason}"))
    by_id = {s.id: s for s in states}
    for case_id in case_ids:
        state = by_id.get(case_id)
        if state is None:
            raise RelancegitError(f"unknown case '{case_id}'")
        if any(s is state for s in chosen):
            continue
        if state in due_emails([state]):
            chosen.append(state)
            continue
        action = state.next_action
        what = "nothing to do" if action is None else f"next action {action.kind.value} {action.step or ''}".strip()
        if action is not None and automatic_email(state):
            what += f", due on {action.date.isoformat()}"
        step = (action.step or "") if action else ""
        reason = why_not_sent(state)
        detail = f"not sent: {reason}" if reason else f"not a due automatic e-mail ({what})"
        skipped.append(Outcome(case_id, step, Result.SKIPPED, detail))
    return chosen, skipped


def send(
    ledger: Ledger,
    today: date,
    *,
    case_ids: Sequence[str] = (),
    due: bool = False,
    dry_run: bool = False,
    outbox: Path | None = None,
    commit: bool = False,
    password: str | None = None,
    sent_at: datetime | None = None,
    record: Callable[[Path, dict[str, Any], date, bool], None] = record_sent,
) -> list[Outcome]:
    """E-mail the selected steps and record them (see the module docstring for guarantees)."""
    root = ledger.root
    journal = Journal(journal_dir(root))
    outcomes: list[Outcome] = []
    if not dry_run:
        outcomes.extend(settle_journal(journal, ledger, today, commit, record))
    chosen, skipped = select(compute_all(ledger, today), case_ids, due)
    outcomes.extend(skipped)
    if dry_run:
        folder = outbox or default_outbox(root)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RelancegitError(f"cannot create the outbox folder {folder}: {exc.strerror or exc}") from None
        for state in chosen:
            outcomes.append(_write_outbox(ledger, state, today, folder, sent_at))
        return outcomes
    if chosen and ledger.config.smtp is None:
        raise RelancegitError("no smtp: settings in relancegit.yaml (host, port, username, from, starttls)")
    connection = _Connection(ledger.config.smtp, password) if ledger.config.smtp else None
    settled = {(o.case, o.step) for o in outcomes}
    try:
        for state in chosen:
            if connection is not None:
                outcomes.append(_send_one(ledger, state, today, journal, connection, commit, sent_at, record, settled))
    finally:
        if connection is not None:
            connection.close()
    return outcomes


def _write_outbox(ledger: Ledger, state: CaseState, today: date, folder: Path, sent_at: datetime | None) -> Outcome:
    step = state.next_action.step if state.next_action and state.next_action.step else ""
    try:
        letter = letter_for_case(ledger, state.id, today, step, header=False)
        message = to_email(letter, sent_at)
        path = write_file(safe_child(folder, f"{letter.name}.eml"), message.as_bytes(policy=policy.SMTP))
    except RelancegitError as exc:
        return Outcome(state.id, step, Result.FAILED, str(exc))
    return Outcome(state.id, step, Result.WRITTEN, f"to {message['To']}", letter.message_id, path)


def check_recordable(root: Path, entry: dict[str, Any], today: date) -> None:
    """Refuse, before anything is sent, a reminder `record_sent` could not write: the case
    file as it would be with the event appended must have no new error (the rules of `record`)."""
    case_path = find_case_file(root, entry["case"])
    event = recording.build_event("reminder", [f"step={entry['step']}", "channel=email"], today)
    recording.validate_event(event, case_path)
    ctx = recording._context(root, today)
    shift = demo_shift(ctx.config, today)
    if shift:
        event = recording._unshift(event, shift)
    try:
        _, _, _, after, before = recording._appended_and_checked(ctx, case_path, event)
    except recording.RecordRefused as exc:
        first = next((p for p in exc.problems if p.severity == Severity.ERROR), None)
        where = f"{case_path}:{first.line}:{first.column}: {first.message}" if first else str(exc)
        raise RelancegitError(f"not sent: {where}; fix it first") from None
    errors = [p for p in after if p.severity == Severity.ERROR]
    new_errors = [p for p in errors if p.message not in before]
    if new_errors:
        raise RelancegitError(
            f"not sent: its reminder, dated {today.isoformat()}, could not be recorded in {case_path}: "
            f"{new_errors[0].message}"
        )
    if errors:
        first = errors[0]
        raise RelancegitError(f"not sent: {case_path}:{first.line}:{first.column}: {first.message}; fix it first")


def _send_one(
    ledger: Ledger,
    state: CaseState,
    today: date,
    journal: Journal,
    connection: _Connection,
    commit: bool,
    sent_at: datetime | None,
    record: Callable[[Path, dict[str, Any], date, bool], None],
    settled: set[tuple[str, str]],
) -> Outcome:
    step = state.next_action.step if state.next_action and state.next_action.step else ""
    if (state.id, step) in settled:
        return Outcome(state.id, step, Result.SKIPPED, "recorded from the journal in this run")
    existing = journal.get(state.id, step)
    if existing is not None:
        return Outcome(
            state.id,
            step,
            Result.SKIPPED,
            f"already sent on {existing.get('date') or '?'} (journal {journal.path(state.id, step).name})",
            existing.get("message_id"),
        )
    settings = connection.settings
    try:
        letter = letter_for_case(ledger, state.id, today, step, header=False)
        message = to_email(letter, sent_at)
        mail = envelope(message)
        if commit:
            case_path = ledger.case_files.get(state.id) or find_case_file(ledger.root, state.id)
            recording.ensure_committable(case_path)
        entry = {
            "case": state.id,
            "step": step,
            "client": state.client.id,
            "message_id": letter.message_id,
            "to": str(message["To"]),
            "date": today.isoformat(),
        }
        check_recordable(ledger.root, entry, today)
        client = connection.get()
        open_transaction(client, mail, settings.timeout)
    except Refused as exc:
        return Outcome(state.id, step, Result.FAILED, f"not sent: {exc}; the next run tries again")
    except NotSent as exc:
        connection.drop()
        return Outcome(state.id, step, Result.FAILED, f"not sent: {exc}; the next run tries again")
    except RelancegitError as exc:
        return Outcome(state.id, step, Result.FAILED, str(exc))
    if not journal.claim(entry):
        connection.drop()  # the transaction is open: drop it rather than send
        return Outcome(state.id, step, Result.SKIPPED, "claimed by another run", letter.message_id)
    try:
        journal.keep(entry, mail.content)
    except OSError as exc:
        connection.drop()  # nothing sent yet: the next run tries again
        journal.release(entry)
        return Outcome(state.id, step, Result.FAILED, f"not sent: cannot keep a copy: {exc.strerror or exc}")
    try:
        code, answer = transmit(client, mail, settings.data_timeout)
    except (OSError, smtplib.SMTPException) as exc:
        # Only this message is uncertain. The run stops sending: another unconfirmed message
        # would be one more reminder recorded that the debtor may never have received.
        connection.give_up("the SMTP server did not confirm an earlier message of this run")
        detail = (
            f"the SMTP server did not confirm the message ({_reason(exc, settings.data_timeout, 'data_timeout')}): "
            "it may have been delivered, so it is not sent again and the next run records it as sent; "
            "check the mail server's sent messages"
        )
        return Outcome(state.id, step, Result.FAILED, detail, letter.message_id)
    except BaseException:
        connection.drop()  # interrupted mid-content: no QUIT, which the server would read as content
        raise
    if code != 250:
        journal.release(entry)  # the server refused it: nothing was delivered
        detail = f"not sent: message refused by the SMTP server: {code} {answer}; the next run tries again"
        return Outcome(state.id, step, Result.FAILED, detail, letter.message_id)
    entry = journal.update(entry, Entry.SENT)
    try:
        record(ledger.root, entry, today, commit)
    except RelancegitError as exc:
        detail = f"sent but not recorded: {_why(exc)}; fix the case file: the next run records it"
        return Outcome(state.id, step, Result.FAILED, detail, letter.message_id)
    journal.update(entry, Entry.RECORDED)
    return Outcome(state.id, step, Result.SENT, f"to {message['To']}", letter.message_id)
