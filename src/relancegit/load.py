"""Find the ledger, read its YAML safely and build the typed model, collecting problems.

Layer: files -> `Ledger` + problems. Parsing uses libyaml's C loader with safe constructors
(no tags, no object construction, no aliases, no duplicate keys); amounts are read as
`Decimal` and dates as `date`. Valid files pay for no position tracking: problems carry a
path of keys, and only files that have problems are composed again to find lines and columns.
Nothing here computes balances or looks at the clock (today is passed in).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from relancegit import model
from relancegit.model import Case, Client, Config, Ledger
from relancegit.problems import (
    AT_KEY,
    AT_VALUE,
    LedgerNotFound,
    Problem,
    Severity,
    error,
)

CONFIG_NAME = "relancegit.yaml"
LEDGER_DIR = "ledger"
ENV_LEDGER = "RELANCEGIT_LEDGER"
YAML_SUFFIXES = (".yaml", ".yml")


# --- discovery -----------------------------------------------------------------------------


def find_ledger(explicit: str | Path | None = None, cwd: Path | None = None) -> Path:
    """The ledger folder (the one holding `relancegit.yaml`): SPEC §2 discovery order."""
    candidate = explicit if explicit is not None else os.environ.get(ENV_LEDGER) or None
    if candidate is not None:
        path = Path(candidate)
        for folder in (path, path / LEDGER_DIR):
            if (folder / CONFIG_NAME).is_file():
                return folder
        if path.name == CONFIG_NAME and path.is_file():
            return path.parent
        origin = "--ledger" if explicit is not None else ENV_LEDGER
        raise LedgerNotFound(f"no ledger at {path} ({origin}): expected {path / CONFIG_NAME}")
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / LEDGER_DIR / CONFIG_NAME).is_file():
            return folder / LEDGER_DIR
        if folder.name == LEDGER_DIR and (folder / CONFIG_NAME).is_file():
            return folder
    raise LedgerNotFound(
        f"no ledger found: no {LEDGER_DIR}/{CONFIG_NAME} in {start} or its parents "
        f"(use --ledger PATH, set {ENV_LEDGER}, or create one with 'relancegit init DIR')"
    )


def ledger_files(root: Path) -> tuple[list[Path], list[Path]]:
    """Client and case files, sorted, hidden files and folders left aside."""
    return _yaml_files(root / "clients", recursive=False), _yaml_files(root / "cases", recursive=True)


def _yaml_files(folder: Path, recursive: bool) -> list[Path]:
    if not folder.is_dir():
        return []
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        found.extend(
            Path(dirpath, name) for name in filenames if name.endswith(YAML_SUFFIXES) and not name.startswith(".")
        )
    return sorted(found)


# --- safe YAML with Decimal amounts and strict dates ---------------------------------------

_DATE_RE = re.compile(r"^(\d{4})-(\d\d?)-(\d\d?)$")


class _LedgerLoader(yaml.CSafeLoader):
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


class _GuardedLoader(_LedgerLoader):
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
    text = str(node.value).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return str(node.value)  # .inf / .nan: rejected by the amount validator with its text
    return value if value.is_finite() else str(node.value)


def _construct_date(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> date | str:
    text = str(node.value)
    match = _DATE_RE.match(text)
    if not match:
        return text  # a timestamp with a time: the date validator says a date is expected
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        bad = model.BadDate(text)
        bad.reason = str(exc)
        return bad


_LedgerLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_LedgerLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_date)
# Without anchors the plain loader is safe from aliases; without "<<" from merge keys.
# Merge keys resolve only in plain scalars "<<", and an alias needs an anchor ("&") first.
_NEEDS_GUARD = ("&", "<<")


class _YamlProblem(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def parse_yaml(raw: bytes) -> Any:
    """Parse one ledger file's bytes; raise `_YamlProblem` with a 1-based position."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
        raise _YamlProblem(
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8", line, column
        ) from None
    if not text.strip():
        raise _YamlProblem("empty file: expected a YAML mapping", 1, 1)
    _check_depth(text)
    guarded = any(marker in text for marker in _NEEDS_GUARD)
    loader = (_GuardedLoader if guarded else _LedgerLoader)(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = _yaml_message(exc)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _YamlProblem(message, line, column) from None
    except yaml.reader.ReaderError as exc:  # control characters: a position, not a mark
        prefix = text[: exc.position]
        line = prefix.count("\n") + 1
        column = len(prefix.rsplit("\n", 1)[-1]) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise _YamlProblem(f"control character U+{char:04X} is not allowed in YAML", line, column) from None
    except yaml.YAMLError as exc:
        raise _YamlProblem(f"invalid YAML: {exc}", 1, 1) from None
    except RecursionError:
        raise _YamlProblem("YAML nested too deeply", 1, 1) from None
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
                    raise _YamlProblem(f"YAML nested more than {MAX_DEPTH} levels deep", mark.line + 1, mark.column + 1)
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
            if index == last and at == AT_KEY:
                return pair[0].start_mark
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return node.start_mark
            node = node.value[part]
        else:
            break
    return node.start_mark


# --- building the model --------------------------------------------------------------------


def _known_keys() -> list[str]:
    """Every key of every file model, to suggest a fix for a misspelt key."""
    models = [
        v for v in vars(model).values() if isinstance(v, type) and issubclass(v, BaseModel) and v is not BaseModel
    ]
    return sorted({name for cls in models for name in cls.model_fields} | {"type", "from"})


_KNOWN_KEYS = _known_keys()


def validation_problems(file: Path, exc: ValidationError) -> list[Problem]:
    errors = exc.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    problems = []
    for err, loc in zip(errors, locs, strict=True):
        # A list emptied by its own failing items is not a separate problem.
        if err["type"] == "too_short" and any(o[: len(loc)] == loc and len(o) > len(loc) for o in locs):
            continue
        message, at = _pydantic_message(err)
        if err["type"] == "union_tag_invalid":
            loc = (*loc, "type")
        problems.append(Problem(file=file, message=message, path=loc, at=at))
    return problems


def _pydantic_message(err: Any) -> tuple[str, str]:
    kind, loc, ctx = err["type"], err["loc"], err.get("ctx") or {}
    value = err.get("input")
    key = _key_name(loc)
    if kind == "extra_forbidden":
        hint = difflib.get_close_matches(str(loc[-1]), _KNOWN_KEYS, n=1, cutoff=0.75)
        extra = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"unknown key '{loc[-1]}'{extra}", AT_KEY
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", AT_VALUE
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, "), AT_VALUE
    if kind == "union_tag_invalid":
        tags = ", ".join(model.EVENT_TYPES)
        return f"unknown event type '{ctx.get('tag')}' (expected one of: {tags})", AT_VALUE
    if kind == "union_tag_not_found":
        return "missing required key 'type'", AT_VALUE
    if kind == "literal_error" or kind == "enum":
        return f"invalid {key} {model._describe(value)}: expected {ctx.get('expected')}", AT_VALUE
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == model.ID_PATTERN:
            return (
                f"invalid {key} {model._describe(value)}: use lowercase letters, digits, "
                "'.', '_' and '-', starting with a letter or digit",
                AT_VALUE,
            )
        return f"invalid {key} {model._describe(value)}", AT_VALUE
    expected = {
        "string_type": "text",
        "int_type": "a whole number",
        "int_parsing": "a whole number",
        "int_from_float": "a whole number",
        "bool_type": "true or false",
        "bool_parsing": "true or false",
        "list_type": "a list",
        "tuple_type": "a list",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "dict_type": "a mapping",
        "date_type": "a date YYYY-MM-DD",
    }.get(kind)
    if expected:
        return f"{key}: expected {expected}, got {model._describe(value)}", AT_VALUE
    if kind == "too_short":
        return f"{key}: expected at least {ctx.get('min_length')} item(s)", AT_VALUE
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return f"{key}: {str(err['msg']).replace('Input', 'value').lower()}, got {value}", AT_VALUE
    if kind == "string_too_short":
        return f"{key}: must not be empty", AT_VALUE
    return f"{key}: {err['msg']}", AT_VALUE


def _key_name(loc: tuple[Any, ...]) -> str:
    names = [p for p in loc if isinstance(p, str) and p not in model.EVENT_TYPES]
    return names[-1] if names else "value"


@dataclass
class FileResult:
    """One parsed and validated file: its model object or its problems."""

    path: Path
    value: BaseModel | None = None
    problems: list[Problem] = field(default_factory=list)
    event_count: int = 0  # counted on the parsed data, so files with errors count too


def load_file(path: Path, kind: type[BaseModel], check_id: bool = True) -> FileResult:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return FileResult(path, problems=[Problem(path, f"cannot read file: {exc.strerror}", line=1, column=1)])
    try:
        data = parse_yaml(raw)
    except _YamlProblem as exc:
        return FileResult(path, problems=[Problem(path, exc.message, line=exc.line, column=exc.column)])
    if not isinstance(data, dict):
        return FileResult(
            path,
            problems=[
                Problem(
                    path,
                    f"expected a mapping of keys at the top of the file, got {model._describe(data)}",
                    line=1,
                    column=1,
                )
            ],
        )
    events = data.get("events")
    event_count = len(events) if isinstance(events, list) else 0
    problems = []
    file_id = data.get("id")
    if check_id and isinstance(file_id, str) and file_id != path.stem:
        problems.append(error(path, f"id '{file_id}' does not match the file name (expected '{path.stem}')", "id"))
    try:
        value = kind.model_validate(data)
    except ValidationError as exc:
        return FileResult(path, problems=[*problems, *validation_problems(path, exc)], event_count=event_count)
    return FileResult(path, value=value, problems=problems, event_count=event_count)


# --- the whole ledger ----------------------------------------------------------------------


@dataclass
class LoadResult:
    ledger: Ledger  # only the files without errors
    problems: list[Problem]
    counts: dict[str, int]
    left_out: list[Path]  # files with errors, which commands other than `check` leave out

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.WARNING]


FALLBACK_CONFIG = Config.model_validate({"creditor": {"name": "?", "address": ["?"]}})


def load_ledger(root: Path, today: date) -> LoadResult:
    """Load, validate and check the ledger at `root` as of `today`."""
    from relancegit import checks  # checks import the engine, which imports the model only

    config_path = root / CONFIG_NAME
    config_result = load_file(config_path, Config, check_id=False)
    config = config_result.value if isinstance(config_result.value, Config) else FALLBACK_CONFIG
    client_paths, case_paths = ledger_files(root)
    client_results = [load_file(p, Client) for p in client_paths]
    case_results = [load_file(p, Case) for p in case_paths]

    shift = demo_shift(config, today)
    if shift:
        for result in (*client_results, *case_results):
            if result.value is not None:
                result.value = shift_dates(result.value, shift)

    problems: list[Problem] = [*config_result.problems]
    for result in (*client_results, *case_results):
        problems.extend(result.problems)
    candidates = checks.Candidates(
        root=root,
        config=config,
        config_path=config_path,
        clients=[(r.path, r.value) for r in client_results if isinstance(r.value, Client) and not r.problems],
        broken_clients={r.path.stem for r in client_results if r.problems},
        cases=[(r.path, r.value) for r in case_results if isinstance(r.value, Case) and not r.problems],
    )
    problems.extend(checks.run_checks(candidates, today, config_ok=not config_result.problems))

    problems = locate_all(problems)
    bad_files = {p.file for p in problems if p.severity == Severity.ERROR}
    clients = {c.id: c for path, c in candidates.clients if path not in bad_files}
    cases = {c.id: c for path, c in candidates.cases if path not in bad_files and c.client in clients}
    ledger = Ledger(
        root=root,
        config=config,
        clients=clients,
        cases=cases,
        case_files={c.id: p for p, c in candidates.cases if c.id in cases},
        client_files={c.id: p for p, c in candidates.clients if c.id in clients},
    )
    counts = {
        "cases": len(case_paths),
        "clients": len(client_paths),
        "events": sum(r.event_count for r in case_results),
    }
    left_out = sorted(bad_files)
    return LoadResult(ledger=ledger, problems=problems, counts=counts, left_out=left_out)


def locate_all(problems: Iterable[Problem]) -> list[Problem]:
    """Locate every problem (one compose per file that has any) and sort them by position."""
    by_file: dict[Path, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(problem.file, []).append(problem)
    located: list[Problem] = []
    for file, group in by_file.items():
        if all(p.located for p in group):
            located.extend(group)
            continue
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = ""
        located.extend(locate(text, group))
    return sorted(located, key=lambda p: (str(p.file), p.line, p.column, p.message))


# --- living demo data ----------------------------------------------------------------------


def demo_shift(config: Config, today: date) -> int:
    """Days to move demo dates forward: whole weeks (weekdays kept), never backwards."""
    if config.demo_anchor is None or today <= config.demo_anchor:
        return 0
    return (today - config.demo_anchor).days // 7 * 7


def shift_dates(value: Any, days: int) -> Any:
    """A copy of a model value with every date moved `days` days later."""
    if isinstance(value, date):
        return value + timedelta(days=days)
    if isinstance(value, BaseModel):
        updates = {name: shift_dates(getattr(value, name), days) for name in type(value).model_fields}
        return value.model_copy(update=updates)
    if isinstance(value, tuple):
        return tuple(shift_dates(v, days) for v in value)
    if isinstance(value, list):
        return [shift_dates(v, days) for v in value]
    return value


def iter_events(cases: Iterable[Case]) -> Iterator[tuple[Case, int, Any]]:
    for case in cases:
        for index, event in enumerate(case.events):
            yield case, index, event
