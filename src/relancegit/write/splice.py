"""Splice one event into a case file's text, keeping every other byte as the user wrote it.

Layer: text -> text. libyaml composes the file (in C, as the ledger's loader does) to find
where the events end and in which style (flow mappings one per line, or block mappings) and
at which indentation they are written; ruamel.yaml renders only the new event in that style.
A full round-trip dump would re-flow the whole file (indentation, spaces inside flow
mappings, long lines), which is why it is not used; composing with ruamel's pure-Python
composer took over a minute on a case of 100,000 events. `verify_append` reads both
versions back with the ledger's own loader.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from relancegit.problems import RelancegitError
from relancegit.read.load import parse_data
from relancegit.read.yamlsafe import YamlProblem

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
    resolved = _PYYAML_RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
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


class _Composer(yaml.CSafeLoader):
    """libyaml's composer with the only tag the splice looks at: null. Resolving every scalar's
    implicit tag in Python was most of the time of composing a case of 100,000 events."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            plain_null = implicit[0] and _NULL.fullmatch(value)
            return "tag:yaml.org,2002:null" if plain_null else "tag:yaml.org,2002:str"
        return "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"


_NULL = re.compile(r"~|null|Null|NULL|")  # YAML 1.1's plain nulls, as libyaml's loader reads them


class LayoutError(RelancegitError):
    """The file is laid out in a way `record` cannot append to safely: edit it by hand."""


def append_event(text: str, event: dict[str, Any]) -> tuple[str, int]:
    """`text` with `event` appended to its `events`, and the (0-based) line where it starts.

    `text` must have been read by the ledger's loader (`load.parse_data`) first: its
    guard against deep nesting is what keeps libyaml's recursive composer safe."""
    try:
        root = yaml.compose(text, Loader=_Composer)
    except yaml.YAMLError as exc:
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
    end = int(node.end_mark.index)
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


# --- the usual layout, without composing the file ---------------------------------------------

_EVENTS_KEY = re.compile(r"^events:[ \t]*(?:#[^\n]*)?$", re.MULTILINE)
_ITEM = re.compile(r"( *)-( +)(\S)")
_BLOCK_KEY = re.compile(r"[^\s#{\[\]}'\"&*!|>%@`,-][^:#\n]*:(?:[ \t]|$)")


def append_to_tail(text: str, event: dict[str, Any], data: Any) -> tuple[str, int, Any] | None:
    """`append_event` for the usual layout, found by reading lines from the end of the file:
    `events` is the last key (at the left margin), a block list whose items start at one
    indentation. `data` is the file as the ledger's loader read it. Returns the new text, the
    line where the event starts and the event as the loader reads it back; None when the file
    looks otherwise (then use `append_event`).

    The result is verified without reading the whole file again: the file with its events
    cut down to the last one must read back as `data` with that one event, and with the new
    event appended as that plus the event. Items of a block list end where the next item's
    dash begins, so the items cut out cannot be changed by what is written after the last.
    Raises `LayoutError` when that check fails."""
    if not isinstance(data, dict) or list(data)[-1:] != ["events"]:
        return None
    events = data["events"]
    if not isinstance(events, list) or not events:
        return None
    keys = list(_EVENTS_KEY.finditer(text))
    if len(keys) != 1:
        return None
    start = keys[0].end() + 1  # the line after `events:`
    lines = text[start:].split("\n")
    body = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    if not body:
        return None
    first = _ITEM.match(lines[body[0]])
    if first is None:
        return None
    dash = len(first.group(1))
    last = None
    for i in reversed(body):
        line = lines[i]
        indent = len(line) - len(line.lstrip(" "))
        if indent == dash and _ITEM.match(line):
            last = i
            break
        if indent <= dash:
            return None  # something other than the events' items at their level
    if last is None:
        return None
    item = _ITEM.match(lines[last])
    assert item is not None
    content = item.start(3)
    rest = lines[last][content:]
    if rest.startswith("{"):
        flow = True
    elif _BLOCK_KEY.match(rest):
        flow = False
    else:
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    first_at = start + sum(len(line) + 1 for line in lines[: body[0]])
    last_at = first_at + sum(len(line) + 1 for line in lines[body[0] : last])
    insert_at = min(last_at + sum(len(line) + 1 for line in lines[last : body[-1] + 1]), len(text))
    head = _with_final_newline(text[:insert_at], newline)
    new_text = head + _item_lines(event, dash, content, flow, newline) + text[insert_at:]
    appended = _verify_tail(text[:first_at], text[last_at:], new_text[last_at:], data, event)
    return new_text, head.count("\n"), appended


def _verify_tail(head: str, old_tail: str, new_tail: str, data: dict[str, Any], event: dict[str, Any]) -> Any:
    """The file cut down to its last event reads back as expected, before and after."""
    try:
        before = parse_data((head + old_tail).encode("utf-8"))
        after = parse_data((head + new_tail).encode("utf-8"))
    except YamlProblem as exc:
        raise LayoutError(f"the file would not read back after appending ({exc}); add the event by hand") from None
    last = data["events"][-1]
    if before != {**data, "events": [last]} or after != {**data, "events": [last, event]}:
        raise LayoutError("appending would change more than the events (unusual layout); add the event by hand")
    return after["events"][-1]


def verify_append(old: bytes | Any, new: bytes | Any, event: dict[str, Any]) -> None:
    """Read both versions back: the new one must be the old one plus exactly this event.

    `old` and `new` are the files' bytes, or their data already read by `parse_yaml`."""
    try:
        before = parse_data(old) if isinstance(old, bytes) else old
        after = parse_data(new) if isinstance(new, bytes) else new
    except YamlProblem as exc:
        raise LayoutError(f"the file would not read back after appending ({exc}); add the event by hand") from None
    if not isinstance(before, dict) or not isinstance(after, dict):
        raise LayoutError("the case file is not a mapping of keys; fix it first")
    expected = {**before, "events": [*(before.get("events") or []), event]}
    if after != expected:
        raise LayoutError("appending would change more than the events (unusual layout); add the event by hand")
