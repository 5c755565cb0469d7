"""`record`: append one event to a case file, validated, atomically, optionally committed.

Layer: a round-trip edit of one file. `build_event` turns `key=value` arguments into an
event; `splice` adds its text to the file, so every byte the user wrote (comments, key
order, quoting, spacing, line endings) stays as it was. The new bytes are checked in memory
with the same rules as `check` before an atomic rename replaces the file, and `--commit`
commits just that file. Reading, writing and committing happen under the ledger's write
lock (`lock.py`); a commit interrupted by a kill is settled by the next writer. Nothing here
reads the clock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from relancegit.git import gitlog
from relancegit.model import CENT, EVENT_TYPES, EventBase
from relancegit.problems import Problem, RelancegitError, Severity, UsageError
from relancegit.read.discover import CONFIG_NAME
from relancegit.read.handles import find_case_file, refuse_symlink
from relancegit.read.load import Parsed, Setting, load_cases, parse_raw, read_setting, validation_problems
from relancegit.write.lock import WriteState, ledger_write_lock
from relancegit.write.splice import LayoutError, append_event, append_to_tail, verify_append

# Fields whose text is parsed into a typed value; every other field is text for the model.
_MONEY_FIELDS = {"amount"}
_DATE_FIELDS = {"date", "due", "until"}
_BOOLEAN = {"true": True, "yes": True, "false": False, "no": False}
_COMMON_TAIL = ("note", "by")  # written last, after the type's own fields


class RecordRefused(RelancegitError):
    """The event would make the case invalid: the problems say where and why."""

    def __init__(self, message: str, problems: Sequence[Problem]) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass
class Recorded:
    path: Path
    event: dict[str, Any]
    line: int  # 1-based line where the new event starts
    warnings: list[Problem] = field(default_factory=list)
    commit: str | None = None  # short hash when --commit
    document: Path | None = None  # the kept copy of what was sent, under ledger/sent/


@dataclass(frozen=True)
class Document:
    """The exact bytes of a letter or e-mail as sent, to keep under `ledger/sent/{case}/`."""

    content: bytes
    extension: str  # eml, pdf, md, html


SENT_DIR = "sent"


# --- arguments -> event ----------------------------------------------------------------


def event_fields(event_type: str) -> list[str]:
    """The keys an event of this type accepts, in the order they are written."""
    model = EVENT_TYPES[event_type]
    own = [n for n in model.model_fields if n not in EventBase.model_fields and n != "type"]
    return ["date", "type", *own, *_COMMON_TAIL]


def build_event(event_type: str, assignments: Sequence[str], today: date, by: str | None = None) -> dict[str, Any]:
    """The event of `TYPE key=value…`, keys in file order; dates default to `today`."""
    if event_type not in EVENT_TYPES:
        raise UsageError(f"unknown event type '{event_type}' (expected one of: {', '.join(EVENT_TYPES)})")
    allowed = event_fields(event_type)
    given: dict[str, Any] = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"expected key=value, got '{item}' (e.g. amount=750 ref=\"VIR 8812\")")
        if key not in allowed or key == "type":
            keys = ", ".join(k for k in allowed if k != "type")
            raise UsageError(f"unknown key '{key}' for a {event_type} event (expected: {keys})")
        if key in given:
            raise UsageError(f"key '{key}' given twice")
        given[key] = _parse_value(key, text)
    given.setdefault("date", today)
    if by and "by" not in given:
        given["by"] = by
    given["type"] = event_type
    return {k: given[k] for k in allowed if k in given}


def _parse_value(key: str, text: str) -> Any:
    """Typed values where the command line is text; what does not parse is left to the model."""
    if key in _MONEY_FIELDS:
        return _money(text)
    if key in _DATE_FIELDS:
        return _date(text)
    if key == "signed":
        if text.strip().lower() not in _BOOLEAN:
            raise UsageError(f"signed: expected true or false, got '{text}'")
        return _BOOLEAN[text.strip().lower()]
    if key == "installments":
        return _installments(text)
    return text


def _money(text: str) -> Decimal | str:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value == value.quantize(CENT):
        return value.quantize(CENT)  # 750.000 -> 750.00; 750.005 stays and is refused
    return value


def _date(text: str) -> date | str:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return text


def _installments(text: str) -> list[dict[str, Any]]:
    items = []
    for part in (p.strip() for p in text.split(",")):
        due, sep, amount = part.partition(":")
        if not sep or not due.strip() or not amount.strip():
            raise UsageError(
                f"installments: expected DUE:AMOUNT items separated by commas, got '{part}' "
                "(e.g. installments=2026-12-15:500,2027-01-15:500)"
            )
        items.append({"due": _date(due), "amount": _money(amount)})
    return items


def validate_event(event: dict[str, Any], case_path: Path) -> None:
    """The event alone, against its model: a bad value is refused before the file is read."""
    try:
        EVENT_TYPES[event["type"]].model_validate(event)
    except ValidationError as exc:
        problems = validation_problems(case_path, exc)
        lines = [f"{_dotted(p.path)}: {p.message}" for p in problems]
        raise RelancegitError("invalid event: " + "; ".join(lines)) from None


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path) or "event"


# --- validation with the rules of `check` ---------------------------------------------------


def _context(root: Path, today: date) -> Setting:
    """The configuration and the clients every case is checked against (`load.read_setting`)."""
    setting = read_setting(root, today)
    if not setting.config_valid:
        raise RelancegitError(f"{root / CONFIG_NAME} has errors; run 'relancegit check' first")
    return setting


def case_problems(ctx: Setting, case_path: Path, content: bytes, parsed: Parsed | None = None) -> list[Problem]:
    """Problems of `content` as the case file at `case_path`, as `check` reports them.

    Validated in memory through the load seam (`load.load_cases`; `parsed` is
    `parse_raw(content)` when the caller has it already): nothing is written into the ledger
    to check it."""
    known = {case_path: parsed} if parsed is not None else None
    result = load_cases(ctx, {case_path: content}, known)
    return [p for p in result.problems if p.file == case_path]


# --- the whole command -----------------------------------------------------------------


def git_user(folder: Path) -> str | None:
    """Who records by default: `git config user.name`, if git knows."""
    try:
        return gitlog.run_git(["config", "user.name"], folder).strip() or None
    except gitlog.GitError:
        return None


def record(
    root: Path,
    case_id: str,
    event_type: str,
    assignments: Sequence[str],
    today: date,
    commit: bool = False,
    event_date: date | None = None,
    lock_timeout: float | None = None,
    document: Document | None = None,
) -> Recorded:
    """Append an event to a case, validated and atomically; with `commit`, commit just it.

    With `document` (a `reminder` only), the exact bytes sent are kept under
    `ledger/sent/{case}/` before the event is written, and the event's `document:` points to
    the copy; `commit` then commits the case file and the copy together.

    The event is dated `event_date`, else `today`; `today` is also the date of the checks.
    The read-modify-write of the file and its commit happen under the ledger's write lock,
    so concurrent runs queue (up to `lock_timeout` seconds, default $RELANCEGIT_LOCK_TIMEOUT
    or 30) instead of losing events."""
    case_path = find_case_file(root, case_id)
    refuse_symlink(case_path)
    has_by = any(a.partition("=")[0].strip() == "by" for a in assignments)
    by = None if has_by else git_user(case_path.parent)
    if event_date is not None and any(a.partition("=")[0].strip() == "date" for a in assignments):
        raise UsageError("give the date once: --date or date=, not both")
    if document is not None and (event_type != "reminder" or any(a.startswith("document=") for a in assignments)):
        raise UsageError("a sent document is kept for a reminder event only, and named by record itself")
    event = build_event(event_type, assignments, event_date or today, by=by)
    if document is not None:
        event = _with_document(event, "sent/placeholder")  # checked with the event; named under the lock
    validate_event(event, case_path)
    ctx = _context(root, today)
    shift = ctx.shift
    if shift:  # a living demo: its files are written as of demo_anchor, dates given as of today
        event = _unshift(event, shift)
    with ledger_write_lock(root, lock_timeout) as state:
        notes = settle_interrupted_commit(state)
        remove_dead_scratch_files(case_path.parent)
        refuse_symlink(case_path)
        if commit:
            ensure_committable(case_path)
        kept: Path | None = None
        if document is not None:  # kept first, so the event is checked with its copy in place
            kept = _document_path(root, case_id, event_date or today, event.get("step", ""), document)
            event = _with_document(event, kept.relative_to(root.resolve()).as_posix())
            _keep_document(kept, document.content, state.scratch)
        try:
            old, new, line, after, before = _appended_and_checked(ctx, case_path, event)
            errors = [p for p in after if p.severity == Severity.ERROR]
            if any(p.message not in before for p in errors):
                raise RecordRefused(f"{case_path.name} not changed: the event would make it invalid", errors)
            if errors:
                raise RecordRefused(f"{case_path.name} not changed: it has errors; fix them first", errors)
        except BaseException:
            if kept is not None:
                kept.unlink(missing_ok=True)  # no copy without its event
            raise
        result = Recorded(
            path=case_path,
            event=event,
            line=line + 1,
            warnings=[*notes, *(p for p in after if p.message not in before)],
        )
        result.document = kept
        if not commit:
            _write_case_or_drop(case_path, new, state.scratch, kept)
            return result
        # A kill between the write and the commit leaves this journal: the next writer puts
        # the file back as committed (the killed run never said "committed").
        _write_journal(state, case_path, old, new)
        try:
            _write_case_or_drop(case_path, new, state.scratch, kept)
            extra = [kept] if kept is not None else []
            result.commit = commit_file(case_path, commit_message(case_id, event, ctx.config.currency), extra)
        except BaseException as exc:
            settle_interrupted_commit(state)  # the file is as committed when the commit fails
            if kept is not None:  # and the copy of a reminder not recorded goes
                with contextlib.suppress(gitlog.GitError):
                    gitlog.run_git(["rm", "-q", "--cached", "--ignore-unmatch", "--", str(kept)], case_path.parent)
                kept.unlink(missing_ok=True)
            if isinstance(exc, gitlog.GitError):
                raise gitlog.GitError(f"{exc}; {case_path.name} was left as last committed") from None
            raise
        state.journal.unlink(missing_ok=True)
    return result


def _with_document(event: dict[str, Any], value: str) -> dict[str, Any]:
    given = {**event, "document": value}
    return {k: given[k] for k in event_fields(str(event["type"])) if k in given}


def _document_path(root: Path, case_id: str, day: date, step: str, document: Document) -> Path:
    """`ledger/sent/{case}/{date}-{step}.{ext}`, never an existing file's name: a copy once
    kept is never replaced (a second copy of the same day and step gets `-2`, `-3`…)."""
    if not re.fullmatch(r"[a-z0-9]+", document.extension) or not re.fullmatch(r"[A-Za-z0-9][\w.-]*", case_id + step):
        raise RelancegitError(f"cannot name a copy for case '{case_id}' step '{step}' (.{document.extension})")
    folder = root.resolve() / SENT_DIR / case_id
    stem = f"{day.isoformat()}-{step}"
    path = folder / f"{stem}.{document.extension}"
    number = 1
    while path.exists() or path.is_symlink():
        number += 1
        path = folder / f"{stem}-{number}.{document.extension}"
    return path


def _keep_document(path: Path, content: bytes, scratch: Path) -> None:
    """Write the copy whole or not at all (temporary file, fsync, rename), read-only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RelancegitError(f"cannot create {path.parent}: {exc.strerror or exc}; nothing recorded") from None
    atomic_write(path, content, scratch, mode=0o444, unchanged="nothing recorded")


def _write_case_or_drop(case_path: Path, new: bytes, scratch: Path, kept: Path | None) -> None:
    """Write the case file; if that fails, the copy just kept goes too (no copy without its event)."""
    try:
        atomic_write(case_path, new, scratch=scratch)
    except BaseException:
        if kept is not None:
            kept.unlink(missing_ok=True)
        raise


def _appended_and_checked(
    ctx: Setting, case_path: Path, event: dict[str, Any]
) -> tuple[bytes, bytes, int, list[Problem], set[str]]:
    """The file as it is and with the event appended, the line where the event starts, the new
    file's problems and the messages of the old one's. Each version is parsed once; the old one is checked only
    when the new one has problems (to tell those the event brings from those already there)."""
    old = read_case(case_path)
    old_parsed = parse_raw(old)
    if old_parsed[0] == "problem":
        problems = case_problems(ctx, case_path, old, old_parsed)
        raise RecordRefused(f"{case_path.name} not changed: it has errors; fix them first", problems)
    try:  # the usual layout is appended to without composing the file; verified either way
        new, line, new_parsed = appended(old, event, old_parsed[1])
    except LayoutError:
        new, line, new_parsed = appended(old, event, None)
    after = case_problems(ctx, case_path, new, new_parsed)
    before = {p.message for p in case_problems(ctx, case_path, old, old_parsed)} if after else set()
    return old, new, line, after, before


def read_case(case_path: Path) -> bytes:
    try:
        return case_path.read_bytes()
    except OSError as exc:
        raise RelancegitError(f"cannot read {case_path}: {exc.strerror or exc}") from None


def _unshift(event: dict[str, Any], days: int) -> dict[str, Any]:
    """The event with every date moved `days` earlier (the demo shift undone, see README)."""

    def back(value: Any) -> Any:
        if isinstance(value, date):
            return value - timedelta(days=days)
        if isinstance(value, list):
            return [back(v) for v in value]
        if isinstance(value, dict):
            return {k: back(v) for k, v in value.items()}
        return value

    return {key: back(value) for key, value in event.items()}


def appended(old: bytes, event: dict[str, Any], data: Any) -> tuple[bytes, int, Parsed]:
    """The file with the event appended, the line where it starts, and the new file as the
    loader reads it, verified. With `data` (the old file read), the usual layout is found from
    the end of the file and verified on its last events (`append_to_tail`), so a large case
    is not parsed twice; otherwise the file is composed and the new version read in full."""
    bom = b"\xef\xbb\xbf" if old.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = old.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LayoutError("the case file is not valid UTF-8; run 'relancegit check'") from None
    tail = append_to_tail(text, event, data) if data is not None else None
    if tail is not None:
        new_text, line, appended = tail
        return bom + new_text.encode("utf-8"), line, ("data", {**data, "events": [*data["events"], appended]})
    new_text, line = append_event(text, event)
    new = bom + new_text.encode("utf-8")
    new_parsed = parse_raw(new)
    verify_append(data if data is not None else old, new_parsed[1] if new_parsed[0] == "data" else new, event)
    return new, line, new_parsed


def atomic_write(
    path: Path, content: bytes, scratch: Path | None = None, mode: int | None = None, unchanged: str = ""
) -> None:
    """Replace `path` by `content`: temporary file, fsync, rename. On any failure, or an
    interruption before the rename, the file keeps its old bytes.

    The temporary file goes to `scratch` (the write lock's folder, which git does not list
    and the next writer empties) when it is on the same file system, else beside `path`. The
    new file keeps the old one's mode, or takes `mode` (a new file); `unchanged` says what a
    failure leaves as it was."""
    temporary = _temporary_name(path, scratch)
    try:
        with temporary.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(path.stat().st_mode & 0o7777 if mode is None else mode)
        temporary.replace(path)  # os.replace: atomic on POSIX and Windows
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            outcome = unchanged or "the file is unchanged"
            raise RelancegitError(f"cannot write {path}: {exc.strerror or exc}; {outcome}") from None
        raise
    fsync_folder(path.parent)


def _temporary_name(path: Path, scratch: Path | None) -> Path:
    if scratch is not None:
        try:
            scratch.mkdir(parents=True, exist_ok=True)
            if scratch.stat().st_dev == path.parent.stat().st_dev:  # a rename cannot cross devices
                return scratch / f"{path.name}.{os.getpid()}.tmp"
        except OSError:
            pass
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


# `.2026-0042.yaml.4242.tmp` (an atomic write without a scratch folder) and `.….check` (the
# scratch files of earlier versions): hidden files of a writer, named after its process id.
_SCRATCH_FILE = re.compile(r"^\..+\.(\d+)\.(?:tmp|check)$")


def remove_dead_scratch_files(folder: Path) -> None:
    """Remove the hidden scratch files that writers killed before they cleaned up left in `folder`."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        found = _SCRATCH_FILE.match(entry.name)
        if found and not _alive(int(found.group(1))):
            with contextlib.suppress(OSError):
                entry.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (the folder's entry, not only the file's bytes)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported here (e.g. Windows): the rename itself is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- a commit interrupted -------------------------------------------------------------------


def _write_journal(state: WriteState, path: Path, old: bytes, new: bytes) -> None:
    entry = {"file": str(path.resolve()), "old": _digest(old), "new": _digest(new)}
    data = json.dumps(entry).encode()
    state.folder.mkdir(parents=True, exist_ok=True)
    temporary = state.scratch / "journal.tmp"
    temporary.parent.mkdir(parents=True, exist_ok=True)
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(state.journal)
    fsync_folder(state.folder)


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def settle_interrupted_commit(state: WriteState) -> list[Problem]:
    """Finish what a `record --commit` killed between its write and its commit left: the file
    holds the new event but the commit was not made. The killed run never reported success,
    so the file is put back as committed (recording the event again is then safe). When the
    commit was made after all, or the file changed since, nothing is touched."""
    try:
        entry = json.loads(state.journal.read_bytes())
        path = Path(entry["file"])
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError):
        state.journal.unlink(missing_ok=True)  # unreadable: written by a run killed mid-journal
        return []
    try:
        current = path.read_bytes()
        if _digest(current) != entry["new"]:
            return []  # already put back, or edited since: not ours to touch
        committed = _committed_bytes(path)
        if committed is None or _digest(committed) != entry["old"]:
            return []  # the commit was made (or HEAD moved on): the file is as committed
        atomic_write(path, committed, scratch=state.scratch)
    except OSError:
        return []
    finally:
        state.journal.unlink(missing_ok=True)
    message = (
        "a 'record --commit' was interrupted after writing this file and before committing it; "
        "the file was put back as last committed (its event was not recorded)"
    )
    return [Problem(path, message, severity=Severity.WARNING, line=1, column=1)]


def _committed_bytes(path: Path) -> bytes | None:
    """The file's content in HEAD, or None when git cannot say."""
    try:
        done = subprocess.run(
            ["git", "cat-file", "blob", f"HEAD:./{path.name}"], cwd=path.parent, capture_output=True, check=False
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


# --- git -----------------------------------------------------------------------------------


def ensure_committable(path: Path) -> None:
    """Refuse `--commit` when the file has changes of its own that would go into the commit."""
    folder = path.parent
    gitlog.repository_root(folder)
    status = gitlog.run_git(["status", "--porcelain=v1", "-z", "--", path.name], folder)
    if status.startswith("??"):
        raise RelancegitError(f"{path} is not committed yet; commit it first, or record without --commit")
    if status.strip("\0"):
        raise RelancegitError(
            f"{path} has uncommitted changes (staged or not); commit or discard them first, or record without --commit"
        )


def commit_file(path: Path, message: str, extra: Sequence[Path] = ()) -> str:
    """Commit only `path` and the new files `extra` (other staged files stay staged), return
    the short hash."""
    folder = path.parent
    others = [os.path.relpath(p, folder) for p in extra]
    if others:
        gitlog.run_git_waiting_for_index(["add", "--", *others], folder)
    args = ["commit", "--quiet", "--only", "-F", "-", "--", path.name, *others]
    gitlog.run_git_waiting_for_index(args, folder, stdin=message.encode())
    return gitlog.run_git(["rev-parse", "--short", "HEAD"], folder).strip()


def commit_message(case_id: str, event: dict[str, Any], currency: str) -> str:
    """`2026-0042: payment 750.00 EUR` plus the trailers that `history` and tools can read."""
    return f"{case_id}: {summary(event, currency)}\n\nRelancegit-Case: {case_id}\nRelancegit-Event: {event['type']}\n"


def summary(event: dict[str, Any], currency: str) -> str:
    """A one-line description of an event in ledger terms."""
    kind = event["type"]
    money = f"{Decimal(event['amount']):.2f} {currency}" if "amount" in event else ""
    details: dict[str, str] = {
        "reminder": f"{event.get('step', '')}" + (f" by {event['channel']}" if event.get("channel") else ""),
        "call": f"{event.get('outcome', '')}" + (f" ({event['step']})" if event.get("step") else ""),
        "promise": f"{money} by {event.get('due', '')}",
        "payment": money,
        "credit-note": money,
        "plan": _plan_summary(event, currency),
        "dispute": f"{event.get('reason', '')}",
        "pause": f"until {event.get('until', '')}",
        "escalation": f"to {event.get('to', '')}",
        "write-off": f"{event.get('reason', '')}",
    }
    detail = details.get(kind) or str(event.get("note") or "")
    text = f"{kind} {detail}".strip()
    return text if len(text) <= 72 else text[:71] + "…"


def _plan_summary(event: dict[str, Any], currency: str) -> str:
    installments = event.get("installments") or []
    total = sum((Decimal(i["amount"]) for i in installments), Decimal(0))
    return f"{len(installments)} installments, {total:.2f} {currency}"
