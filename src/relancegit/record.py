"""`record`: append one event to a case file, validated, atomically, optionally committed.

Layer: a round-trip edit of one file. `build_event` turns `key=value` arguments into an
event; `append_event` splices the event's text into the file, so every byte the user wrote
(comments, key order, quoting, spacing, line endings) stays as it was: ruamel.yaml composes
the file to find where the events end and in which style they are written, and renders only
the new event. A full round-trip dump would re-flow the whole file (indentation, spaces in
flow mappings, long lines), which is why it is not used. The result is checked with the same
rules as `check` before an atomic rename replaces the file. Nothing here reads the clock.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from relancegit import checks, gitlog
from relancegit.load import (
    CONFIG_NAME,
    demo_shift,
    ledger_files,
    load_file,
    shift_dates,
    validation_problems,
)
from relancegit.model import CENT, EVENT_TYPES, Case, Client, Config, EventBase
from relancegit.problems import Problem, RelancegitError, Severity, UsageError
from relancegit.yamlsafe import locate, parse_yaml

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


# --- arguments -> event ----------------------------------------------------------------


def event_fields(event_type: str) -> list[str]:
    """The keys an event of this type accepts, in the order they are written."""
    model = EVENT_TYPES[event_type]
    own = [n for n in model.model_fields if n not in EventBase.model_fields and n != "type"]
    return ["date", "type", *own, *_COMMON_TAIL]


def build_event(
    event_type: str, assignments: Sequence[str], today: date, by: str | None = None
) -> dict[str, Any]:
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


# --- rendering the new event --------------------------------------------------------------

_PYYAML_RESOLVER = yaml.resolver.Resolver()


def _renderer(sequence: int, offset: int) -> YAML:
    out = YAML(typ="rt")
    out.width = 1 << 20  # never fold a long note over several lines
    out.allow_unicode = True
    out.indent(mapping=2, sequence=sequence, offset=offset)
    out.representer.add_representer(Decimal, _represent_decimal)
    out.representer.add_representer(str, _represent_text)
    return out


def _represent_decimal(representer: Any, value: Decimal) -> Any:
    text = format(value, "f")  # as given: 750 stays 750, 750.00 stays 750.00
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return representer.represent_scalar(tag, text)


def _represent_text(representer: Any, value: str) -> Any:
    # The ledger is read as YAML 1.1 (libyaml): `yes`, `no`, `on`… are booleans there, though
    # not in ruamel's YAML 1.2, so quote every text that would be read back as something else.
    resolved = _PYYAML_RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    style = "'" if resolved != "tag:yaml.org,2002:str" else None
    return representer.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def render_event(event: dict[str, Any], flow: bool, sequence: int = 4, offset: int = 2) -> list[str]:
    """The event's YAML lines (no newline), as a flow mapping on one line or a block mapping."""
    node = _commented(event, flow)
    stream = io.StringIO()
    _renderer(sequence, offset).dump(node, stream)
    return stream.getvalue().rstrip("\n").split("\n")


def _commented(value: Any, flow: bool) -> Any:
    if isinstance(value, dict):
        mapping = CommentedMap((k, _commented(v, flow)) for k, v in value.items())
        mapping.fa.set_flow_style() if flow else mapping.fa.set_block_style()
        return mapping
    if isinstance(value, list):
        items = CommentedSeq(_commented(v, flow) for v in value)
        items.fa.set_flow_style() if flow else items.fa.set_block_style()
        return items
    return value


# --- splicing it into the file -------------------------------------------------------------


class LayoutError(RelancegitError):
    """The file is laid out in a way `record` cannot append to safely: edit it by hand."""


def append_event(text: str, event: dict[str, Any]) -> tuple[str, int]:
    """`text` with `event` appended to its `events`, and the (0-based) line where it starts."""
    try:
        root = YAML(typ="rt").compose(text)
    except RuamelError as exc:
        raise LayoutError(f"cannot read the file as YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(root, MappingNode) or root.flow_style:
        raise LayoutError("the case file is not a block mapping of keys; add the event by hand")
    newline = "\r\n" if "\r\n" in text else "\n"
    pair = next(((k, v) for k, v in root.value if k.value == "events"), None)
    if pair is None:
        return _append_events_key(text, event, root, newline)
    key, value = pair
    if isinstance(value, SequenceNode) and value.value and value.flow_style:
        return _append_to_flow_sequence(text, event, value)
    if isinstance(value, SequenceNode) and value.value:
        return _append_to_block_sequence(text, event, value, newline)
    if _is_null(value) or (isinstance(value, SequenceNode) and not value.value):
        return _replace_empty(text, event, key, value, newline)
    raise LayoutError("'events' is not a list; fix the file (relancegit check) first")


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _item_lines(event: dict[str, Any], dash: int, content: int, flow: bool, nl: str) -> str:
    lines = render_event(event, flow)
    first = " " * dash + "-" + " " * (content - dash - 1) + lines[0]
    rest = [" " * content + line for line in lines[1:]]
    return nl.join([first, *rest]) + nl


def _with_final_newline(text: str, nl: str) -> str:
    return text if not text or text.endswith("\n") else text + nl


def _append_events_key(text: str, event: dict[str, Any], root: MappingNode, nl: str) -> tuple[str, int]:
    column = root.start_mark.column
    head = _with_final_newline(text, nl)
    block = " " * column + "events:" + nl + _item_lines(event, column + 2, column + 4, True, nl)
    return head + block, head.count("\n") + 1


def _replace_empty(text: str, event: dict[str, Any], key: Node, value: Node, nl: str) -> tuple[str, int]:
    """`events:`, `events: ~` or `events: []`: drop the empty value, list the event below."""
    line_end = text.find("\n", value.end_mark.index)
    line_end = len(text) if line_end < 0 else line_end + 1
    rest_of_line = text[value.end_mark.index : line_end].rstrip("\r\n")
    before = text[: value.start_mark.index].rstrip(" ") if not rest_of_line.strip() else text[: value.start_mark.index]
    key_line = before + (rest_of_line if rest_of_line.strip() else "")
    column = key.start_mark.column
    head = _with_final_newline(key_line, nl)
    items = _item_lines(event, column + 2, column + 4, True, nl)
    return head + items + text[line_end:], head.count("\n")


def _append_to_block_sequence(text: str, event: dict[str, Any], seq: SequenceNode, nl: str) -> tuple[str, int]:
    last = seq.value[-1]
    line_start = text.rfind("\n", 0, last.start_mark.index) + 1
    dash = text.rfind("-", line_start, last.start_mark.index) - line_start
    if dash < 0:
        raise LayoutError("cannot find where the events list is indented; add the event by hand")
    content = last.start_mark.column
    flow = not isinstance(last, MappingNode) or bool(last.flow_style)
    end = _content_end(text, last)
    line_end = text.find("\n", end)
    insert_at = len(text) if line_end < 0 else line_end + 1
    head = _with_final_newline(text[:insert_at], nl)
    items = _item_lines(event, dash, content, flow, nl)
    return head + items + text[insert_at:], head.count("\n")


def _content_end(text: str, node: Node) -> int:
    """Where the node's own text ends: block collections end at their last value, not at the
    comments and blank lines that follow it (those stay after the new event)."""
    while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
        if _is_null(node) and node.start_mark.index == node.end_mark.index and isinstance(last, tuple):
            node = last[0]
    end = node.end_mark.index
    while end > 0 and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _append_to_flow_sequence(text: str, event: dict[str, Any], seq: SequenceNode) -> tuple[str, int]:
    close = text.rfind("]", 0, seq.end_mark.index)
    after_last = _content_end(text, seq.value[-1])
    if close < after_last:
        raise LayoutError("cannot find the end of the events list; add the event by hand")
    rendered = " ".join(render_event(event, flow=True))
    return text[:after_last] + ", " + rendered + text[after_last:], text.count("\n", 0, after_last)


def verify_append(old: bytes, new: bytes, event: dict[str, Any]) -> None:
    """Read both versions back: the new one must be the old one plus exactly this event."""
    try:
        before, after = parse_yaml(old), parse_yaml(new)
    except Exception as exc:  # noqa: BLE001 - any reading failure means: do not write
        raise LayoutError(f"the file would not read back after appending ({exc}); add the event by hand") from None
    if not isinstance(before, dict) or not isinstance(after, dict):
        raise LayoutError("the case file is not a mapping of keys; fix it first")
    expected = {**before, "events": [*(before.get("events") or []), event]}
    if after != expected:
        raise LayoutError("appending would change more than the events (unusual layout); add the event by hand")


# --- validation with the rules of `check` ---------------------------------------------------


@dataclass
class _Context:
    root: Path
    config: Config
    config_ok: bool
    clients: list[tuple[Path, Client]]
    broken_clients: set[str]


def _context(root: Path) -> _Context:
    config_result = load_file(root / CONFIG_NAME, Config, check_id=False)
    config = config_result.value if isinstance(config_result.value, Config) else None
    if config is None:
        raise RelancegitError(f"{root / CONFIG_NAME} has errors; run 'relancegit check' first")
    client_paths, _ = ledger_files(root)
    results = [load_file(p, Client) for p in client_paths]
    clients = [(r.path, r.value) for r in results if isinstance(r.value, Client) and not r.problems]
    broken = {r.path.stem for r in results if r.problems}
    return _Context(root, config, not config_result.problems, clients, broken)


def case_problems(ctx: _Context, case_path: Path, content_path: Path, today: date) -> list[Problem]:
    """Problems of the case file whose content is at `content_path`, as `check` reports them."""
    result = load_file(content_path, Case, check_id=False)
    problems = [replace(p, file=case_path) for p in result.problems]
    case = result.value
    if isinstance(case, Case):
        if case.id != case_path.stem:
            problems.append(Problem(case_path, f"id '{case.id}' does not match the file name (expected '{case_path.stem}')", path=("id",)))
        shift = demo_shift(ctx.config, today)
        clients = [(p, shift_dates(c, shift)) for p, c in ctx.clients] if shift else ctx.clients
        candidates = checks.Candidates(
            root=ctx.root,
            config=ctx.config,
            config_path=ctx.root / CONFIG_NAME,
            clients=clients,
            broken_clients=ctx.broken_clients,
            cases=[(case_path, shift_dates(case, shift) if shift else case)],
        )
        found = checks.run_checks(candidates, today, config_ok=ctx.config_ok)
        problems.extend(p for p in found if p.file == case_path)
    text = content_path.read_bytes().decode("utf-8-sig", "replace")
    return locate(text, problems)


# --- the whole command -----------------------------------------------------------------


def find_case_file(root: Path, case_id: str) -> Path:
    _, case_paths = ledger_files(root)
    found = [p for p in case_paths if p.stem == case_id]
    if not found:
        raise RelancegitError(f"no case '{case_id}' in {root / 'cases'}")
    if len(found) > 1:
        raise RelancegitError(f"case id '{case_id}' is used by several files: {', '.join(map(str, found))}")
    return found[0]


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
) -> Recorded:
    """Append an event to a case, validated and atomically; with `commit`, commit just it.

    The event is dated `event_date`, else `today`; `today` is also the date of the checks."""
    case_path = find_case_file(root, case_id)
    has_by = any(a.partition("=")[0].strip() == "by" for a in assignments)
    by = None if has_by else git_user(case_path.parent)
    if event_date is not None and any(a.partition("=")[0].strip() == "date" for a in assignments):
        raise UsageError("give the date once: --date or date=, not both")
    event = build_event(event_type, assignments, event_date or today, by=by)
    validate_event(event, case_path)
    if commit:
        ensure_committable(case_path)
    old = case_path.read_bytes()
    new, line = _appended(old, event)
    verify_append(old, new, event)
    ctx = _context(root)
    before = {p.message for p in _problems_of_bytes(ctx, case_path, old, today)}
    after = _problems_of_bytes(ctx, case_path, new, today)
    errors = [p for p in after if p.severity == Severity.ERROR]
    if any(p.message not in before for p in errors):
        raise RecordRefused(f"{case_path.name} not changed: the event would make it invalid", errors)
    if errors:
        raise RecordRefused(f"{case_path.name} not changed: it has errors; fix them first", errors)
    atomic_write(case_path, new)
    result = Recorded(
        path=case_path,
        event=event,
        line=line + 1,
        warnings=[p for p in after if p.message not in before],
    )
    if commit:
        try:
            result.commit = commit_file(case_path, commit_message(case_id, event, ctx.config.currency))
        except BaseException:
            atomic_write(case_path, old)  # the file is as it was when the commit fails
            raise
    return result


def _appended(old: bytes, event: dict[str, Any]) -> tuple[bytes, int]:
    bom = old.startswith(b"\xef\xbb\xbf")
    try:
        text = old.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LayoutError("the case file is not valid UTF-8; run 'relancegit check'") from None
    new_text, line = append_event(text, event)
    return (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8"), line


def _problems_of_bytes(ctx: _Context, case_path: Path, content: bytes, today: date) -> list[Problem]:
    """Validate `content` as the case file, through a hidden file the loader never lists."""
    scratch = case_path.with_name(f".{case_path.name}.{os.getpid()}.check")
    try:
        scratch.write_bytes(content)
        return case_problems(ctx, case_path, scratch, today)
    finally:
        scratch.unlink(missing_ok=True)


def atomic_write(path: Path, content: bytes) -> None:
    """Replace `path` by `content`: temporary file, fsync, rename. On any failure, or an
    interruption before the rename, the file keeps its old bytes."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise RelancegitError(f"cannot write {path}: {exc.strerror or exc}; the file is unchanged") from None
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
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
            f"{path} has uncommitted changes (staged or not); commit or discard them first, "
            "or record without --commit"
        )


def commit_file(path: Path, message: str) -> str:
    """Commit only `path` (other staged files stay staged), return the short hash."""
    folder = path.parent
    gitlog.run_git(["commit", "--quiet", "--only", "-F", "-", "--", path.name], folder, stdin=message.encode())
    return gitlog.run_git(["rev-parse", "--short", "HEAD"], folder).strip()


def commit_message(case_id: str, event: dict[str, Any], currency: str) -> str:
    """`2026-0042: payment 750.00 EUR` plus the trailers that `history` and tools can read."""
    return (
        f"{case_id}: {summary(event, currency)}\n\n"
        f"Relancegit-Case: {case_id}\nRelancegit-Event: {event['type']}\n"
    )


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
