"""Safe YAML for ledger files: libyaml's C parser with strict, safe constructors.

Layer: bytes -> plain Python data (dict, list, str, int, bool, None, `Decimal`, `date`), or a
`YamlProblem` with a 1-based position. No tags, no object construction, no aliases, no merge
keys, no duplicate keys, no nesting deep enough to crash libyaml's recursive composer.
`LedgerLoader` is the reference: PyYAML's constructor on libyaml's tree, which the lean one of
`speed.fastyaml` matches faster. `locate` turns key paths into positions for files that have
problems. Knows nothing of the model (`BadDate` is defined here and used by it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from relancegit.problems import AT_KEY, BadDate, Problem

# --- safe YAML with Decimal amounts and strict dates ---------------------------------------


_DATE_RE = re.compile(r"^(\d{4})-(\d\d?)-(\d\d?)$")


class LedgerLoader(yaml.CSafeLoader):
    """libyaml's safe loader, stricter: duplicate keys are errors.

    Checked after construction (a dict shorter than its node has a duplicate), so valid files
    pay one length comparison per mapping.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep)
        if len(mapping) != len(node.value):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
                seen.add(key)
        return mapping


# Longer integers stay text, for the validators to refuse at their position: Python refuses to
# convert decimal texts over 4300 digits (a ValueError, not a YAML error), and no ledger number
# comes near 64 characters.
MAX_INT_CHARS = 64


def construct_int(loader: Any, node: yaml.ScalarNode) -> int | str:
    if len(node.value) > MAX_INT_CHARS:
        return str(node.value)
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


class _GuardedLoader(LedgerLoader):
    """For texts that may hold anchors or merge keys: both are refused at their first use."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:  # a second visit is an alias
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases are not allowed in ledger files", node.start_mark
            )
        return super().construct_object(node, deep)

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys (<<) are not allowed in ledger files", key_node.start_mark
                )


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | str:
    return scalar_decimal(str(node.value))


def scalar_decimal(text: str) -> Decimal | str:
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        return text  # .inf / .nan: rejected by the amount validator with its text
    return value if value.is_finite() else text


def _construct_date(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> date | str:
    return scalar_date(str(node.value))


def scalar_date(text: str) -> date | str:
    match = _DATE_RE.match(text)
    if not match:
        return text  # a timestamp with a time: the date validator says a date is expected
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        bad = BadDate(text)
        bad.reason = str(exc)
        return bad


LedgerLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
LedgerLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
LedgerLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_date)
# Without anchors the plain loader is safe from aliases; without "<<" from merge keys.
# Merge keys resolve only in plain scalars "<<", and an alias needs an anchor ("&") first.
_NEEDS_GUARD = ("&", "<<")


class YamlProblem(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def parse_yaml(raw: bytes, loader_class: type[LedgerLoader] = LedgerLoader) -> Any:
    """Parse one ledger file's bytes; raise `YamlProblem` with a 1-based position.

    `loader_class` is the reference loader or one that builds the same data and errors faster
    (`speed.fastyaml.FastLoader`); texts with anchors or merge keys always get the guarded one."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
        raise YamlProblem(
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8", line, column
        ) from None
    if not text.strip():
        raise YamlProblem("empty file: expected a YAML mapping", 1, 1)
    _check_depth(text)
    guarded = any(marker in text for marker in _NEEDS_GUARD)
    loader = (_GuardedLoader if guarded else loader_class)(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = _yaml_message(exc)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(message, line, column) from None
    except yaml.reader.ReaderError as exc:  # control characters: a position, not a mark
        prefix = text[: exc.position]
        line = prefix.count("\n") + 1
        column = len(prefix.rsplit("\n", 1)[-1]) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise YamlProblem(f"control character U+{char:04X} is not allowed in YAML", line, column) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}", 1, 1) from None
    except RecursionError:
        raise YamlProblem("YAML nested too deeply", 1, 1) from None
    finally:
        loader.dispose()


# libyaml's composer recurses in C: thousands of nested collections crash the process.
# Ledger files nest about 6 levels; a flat event scan guards the rare file that could nest deep.
MAX_DEPTH = 100
_DEPTH_SCAN_THRESHOLD = 2000


def _check_depth(text: str) -> None:
    if text.count("[") + text.count("{") + text.count("- ") + text.count("? ") < _DEPTH_SCAN_THRESHOLD:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH and event.start_mark is not None:
                    mark = event.start_mark
                    raise YamlProblem(f"YAML nested more than {MAX_DEPTH} levels deep", mark.line + 1, mark.column + 1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # the real parse reports the syntax error with its position


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "invalid YAML"
    if "could not determine a constructor for the tag" in problem:
        tag = problem.split("tag", 1)[1].strip().strip("'").strip()
        return f"YAML tags are not allowed in ledger files ({tag.replace('tag:yaml.org,2002:', '!!')})"
    if isinstance(exc, yaml.constructor.ConstructorError) and exc.problem_mark and not exc.context:
        return problem  # our own rules: duplicate keys, aliases, merge keys
    if "tab" in problem or "found character that cannot start any token" in problem:
        return "invalid YAML: a tab character is used for indentation; indent with spaces"
    if exc.context and exc.context not in problem:
        return f"invalid YAML: {problem} ({exc.context})"
    return f"invalid YAML: {problem}"


# --- positions -----------------------------------------------------------------------------

# A problem at the comma before a key: `{amount: 750,50}` read as a key `50` (a decimal comma).
AT_COMMA = "comma"


def locate(text: str, problems: Sequence[Problem]) -> list[Problem]:
    """Give each path problem of one file its line and column, composing the file once."""
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        root = None
    out = []
    for problem in problems:
        if problem.located:
            out.append(problem)
            continue
        mark = _find_mark(root, problem.path, problem.at) if root is not None else None
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if mark and problem.at == AT_COMMA:
            before = text.splitlines()[mark.line][: mark.column]
            column = before.rfind(",") + 1 or column
        out.append(problem.at_position(line, column))
    return out


def _find_mark(root: yaml.Node, path: tuple[str | int, ...], at: str) -> Any:
    node = root
    last = len(path) - 1
    for index, part in enumerate(path):
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if pair is None:
                # pydantic names the variant of a tagged union (the event `type`): skip it.
                if any(k.value == "type" and v.value == part for k, v in node.value):
                    continue
                return node.start_mark  # a missing key: point at the mapping that lacks it
            if index == last and at in (AT_KEY, AT_COMMA):
                return pair[0].start_mark
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return node.start_mark
            node = node.value[part]
        else:
            break
    return node.start_mark
