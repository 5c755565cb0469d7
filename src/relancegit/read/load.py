"""The load seam: file texts -> the typed ledger and its located problems.

Layer: files -> `Ledger` + problems. One way in (`load_texts`, for texts in memory; `load_ledger`,
for the files of a ledger folder) over the same steps, which `mapreduce.check_ledger` and
`record` use too: `settle` (the configuration and the clients, the demo shift, the checking
context), `validate_case` (one case: its model, its own checks, its facts), `cross_checks`
(what needs every case) and `assemble` (locate, sort, build the `Ledger`).

Parsing uses libyaml's C loader with safe constructors (no tags, no object construction, no
aliases, no duplicate keys); amounts are read as `Decimal` and dates as `date`. Valid files pay
for no position tracking: problems carry a path of keys, and only files that have problems are
composed again to find lines and columns. Nothing here computes balances or looks at the clock
(today is passed in). The speed machinery (cache, worker processes, GC pause, lean YAML
constructor) is reached through `relancegit.speed` and closed by its door.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from relancegit import model, speed
from relancegit.model import Case, Client, Config, Ledger
from relancegit.problems import (
    AT_KEY,
    AT_VALUE,
    Problem,
    Severity,
    error,
)
from relancegit.read.discover import CONFIG_NAME, Listing, UnreadableFile, ledger_file_names, read_ledger_file
from relancegit.read.yamlsafe import AT_COMMA, LedgerLoader, YamlProblem, locate, parse_yaml
from relancegit.rules import checks
from relancegit.rules.suggest import closest, did_you_mean, wrong_level
from relancegit.speed import cache as ledger_cache
from relancegit.speed.cache import FileStamp, FileTable
from relancegit.speed.fastyaml import FastLoader
from relancegit.speed.gc import gc_paused
from relancegit.speed.pool import in_chunks

# --- building the model --------------------------------------------------------------------


def _known_keys() -> list[str]:
    """Every key of every file model, to suggest a fix for a misspelt key."""
    models = [
        v for v in vars(model).values() if isinstance(v, type) and issubclass(v, BaseModel) and v is not BaseModel
    ]
    return sorted({name for cls in models for name in cls.model_fields} | {"type", "from"})


_KNOWN_KEYS = _known_keys()


_FILE_KINDS = {"Client": "client", "Case": "case", "Config": "config"}
# Where a closed set's value is written, by its key: the kind of word it is, for suggestions.
_WORD_KINDS = {"channel": "channel", "status": "status"}


def validation_problems(file: Path, exc: ValidationError, data: Any = None, file_kind: str = "") -> list[Problem]:
    errors = exc.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    problems = []
    commas = list(decimal_commas(data)) if data is not None else []
    # The keys a decimal comma spoils: the amount's and the decimals read as a key.
    spoiled = {(*mapping_path, k) for mapping_path, key, _, split in commas for k in (key, split)}
    for mapping_path, _key, value, split in commas:
        problems.append(
            Problem(
                file=file, message=f"decimal comma: write {value}.{split}", path=(*mapping_path, split), at=AT_COMMA
            )
        )
    for err, loc in zip(errors, locs, strict=True):
        # A list emptied by its own failing items is not a separate problem.
        if err["type"] == "too_short" and any(o[: len(loc)] == loc and len(o) > len(loc) for o in locs):
            continue
        # A mapping split by a decimal comma: its comma is the problem, not its odd key.
        if commas and _names(loc) in spoiled:
            continue
        message, at = _pydantic_message(err)
        if err["type"] == "extra_forbidden" and len(loc) == 1:
            section = wrong_level(file_kind, str(loc[0]))
            if section is not None:
                message, at = f"'{loc[0]}' belongs under '{section}:', not at the top of the file", AT_KEY
        if err["type"] == "union_tag_invalid":
            loc = (*loc, "type")
        problems.append(Problem(file=file, message=message, path=loc, at=at))
    return problems


def _names(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pydantic location as a path of keys: an event's location also names its variant."""
    return tuple(p for p in loc if not (isinstance(p, str) and p in model.EVENT_TYPES))


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# The whole part of a French amount with its thousands separated: "1 500" of `1 500,50`.
_GROUPED_RE = re.compile(r"^-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+$")


def _whole_part(value: Any) -> str | None:
    if _whole(value):
        return str(value)
    if isinstance(value, str) and _GROUPED_RE.match(value):
        return "".join(value.split())
    return None


def decimal_commas(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any, str, int]]:
    """Flow mappings that YAML split at a decimal comma: `{amount: 750,50}` reads as
    `amount: 750` and a key `50` without a value. Yields (mapping path, key, 750, 50)."""
    if isinstance(data, dict):
        previous: tuple[Any, Any] | None = None
        for key, value in data.items():
            whole = _whole_part(previous[1]) if previous is not None else None
            if _whole(key) and value is None and previous is not None and whole is not None and key >= 0:
                yield path, previous[0], whole, key
            previous = (key, value)
            yield from decimal_commas(value, (*path, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from decimal_commas(item, (*path, index))


def _pydantic_message(err: Any) -> tuple[str, str]:
    kind, loc, ctx = err["type"], err["loc"], err.get("ctx") or {}
    value = err.get("input")
    key = _key_name(loc)
    if kind == "extra_forbidden":
        hint = difflib.get_close_matches(str(loc[-1]), _KNOWN_KEYS, n=1, cutoff=0.75)
        extra = f" (did you mean '{hint[0]}'?)" if hint and hint[0] != loc[-1] else ""
        return f"unknown key '{loc[-1]}'{extra}", AT_KEY
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", AT_VALUE
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, "), AT_VALUE
    if kind == "union_tag_invalid":
        tags = ", ".join(model.EVENT_TYPES)
        meant = closest(ctx.get("tag"), model.EVENT_TYPES, "event type")
        if meant:
            return f"unknown event type '{ctx.get('tag')}' (did you mean '{meant}'?)", AT_VALUE
        return f"unknown event type '{ctx.get('tag')}' (expected one of: {tags})", AT_VALUE
    if kind == "union_tag_not_found":
        return "missing required key 'type'", AT_VALUE
    if kind == "literal_error" or kind == "enum":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        suggestion = did_you_mean(value, choices, _WORD_KINDS.get(key, key))
        return f"invalid {key} {model._describe(value)}: expected {ctx.get('expected')}{suggestion}", AT_VALUE
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
        "int_parsing_size": "a whole number",
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


# The outcome of reading and parsing one file, plain data so that it pickles cheaply (cache,
# worker processes): ("data", value) or ("problem", line, column, message).
Parsed = tuple[Any, ...]


def read_parsed(path: str) -> tuple[FileStamp | None, bytes | None, Parsed]:
    """Stat, read and parse one file: (stamp, content digest, outcome); no stamp nor digest
    when it cannot be read."""
    stamp, raw, problem = read_raw(path)
    if raw is None:
        return stamp, None, problem
    return stamp, ledger_cache.digest(raw), parse_raw(raw)


def read_raw(path: str) -> tuple[FileStamp | None, bytes | None, Parsed]:
    """(stamp, bytes, ()) or, when the file cannot be read, (None, None, problem)."""
    try:
        status, raw = read_ledger_file(path)
    except UnreadableFile as exc:
        return None, None, ("problem", 1, 1, str(exc))
    return FileStamp.of(status), raw, ()


def parse_data(raw: bytes) -> Any:
    """A ledger file's data (raises `YamlProblem`): the lean constructor when the speed door is
    open, the reference loader when it is closed (same data and errors). Everything that reads
    ledger YAML (git blobs in history and audit, record's splice) parses through here."""
    return parse_yaml(raw, FastLoader if speed.enabled() else LedgerLoader)


def parse_raw(raw: bytes) -> Parsed:
    """One file's outcome: ("data", value) or ("problem", line, column, message)."""
    try:
        return ("data", parse_data(raw))
    except YamlProblem as exc:
        return ("problem", exc.line, exc.column, exc.message)


def _read_chunk(_: None, paths: list[str]) -> list[tuple[str, FileStamp | None, bytes | None, Parsed]]:
    with gc_paused():
        return [(p, *read_parsed(p)) for p in paths]


def parse_files(paths: list[str]) -> list[tuple[str, FileStamp | None, bytes | None, Parsed]]:
    """Stat, read and parse files, across the cores when there are many."""
    return in_chunks(_read_chunk, None, paths)


def validate_file(path: Path, parsed: Parsed, kind: type[BaseModel], check_id: bool = True) -> FileResult:
    """Build one file's model from its parsed data, or collect its problems."""
    if parsed[0] == "problem":
        return FileResult(path, problems=[Problem(path, parsed[3], line=parsed[1], column=parsed[2])])
    data = parsed[1]
    if not isinstance(data, dict):
        message = f"expected a mapping of keys at the top of the file, got {model._describe(data)}"
        return FileResult(path, problems=[Problem(path, message, line=1, column=1)])
    events = data.get("events")
    event_count = len(events) if isinstance(events, list) else 0
    problems = []
    file_id = data.get("id")
    if check_id and isinstance(file_id, str) and file_id != path.stem:
        problems.append(error(path, f"id '{file_id}' does not match the file name (expected '{path.stem}')", "id"))
    try:
        value = kind.model_validate(data)
    except ValidationError as exc:
        found = validation_problems(path, exc, data, _FILE_KINDS.get(kind.__name__, ""))
        return FileResult(path, problems=[*problems, *found], event_count=event_count)
    return FileResult(path, value=value, problems=problems, event_count=event_count)


# --- the seam: one definition of "validate the ledger" -----------------------------------


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
_MISSING: Parsed = ("problem", 1, 1, f"cannot read file: {os.strerror(errno.ENOENT)}")


@dataclass
class Setting:
    """What every case is validated against: the configuration (or `FALLBACK_CONFIG` when it
    has errors), the clients (dates shifted for a living demo), today and the checking context.
    `texts` holds the bytes of the configuration and clients when the caller had them, to
    locate their problems without reading them again."""

    root: Path
    today: date
    config: Config
    config_valid: bool  # the configuration file built a model
    config_ok: bool  # and has no problems at all
    shift: int  # days of the demo shift
    problems: list[Problem]  # the configuration's and the clients' own
    clients: list[FileResult]
    context: checks.Context
    texts: dict[Path, bytes] = field(default_factory=dict)


def settle(
    root: Path,
    today: date,
    config: Parsed,
    clients: Iterable[tuple[Path, Parsed]],
    texts: dict[Path, bytes] | None = None,
) -> Setting:
    """The configuration and the clients, validated, shifted and ready to check cases against."""
    config_path = root / CONFIG_NAME
    config_result = validate_file(config_path, config, Config, check_id=False)
    valid = isinstance(config_result.value, Config)
    chosen = config_result.value if isinstance(config_result.value, Config) else FALLBACK_CONFIG
    shift = demo_shift(chosen, today)
    client_results = [validate_file(path, parsed, Client) for path, parsed in clients]
    if shift:
        for result in client_results:
            if result.value is not None:
                result.value = shift_dates(result.value, shift)
    candidates = checks.Candidates(
        root=root,
        config=chosen,
        config_path=config_path,
        clients=[(r.path, r.value) for r in client_results if isinstance(r.value, Client) and not r.problems],
        broken_clients={r.path.stem for r in client_results if r.problems},
        cases=[],  # validated one by one (`validate_case`); only their facts are gathered
    )
    problems = [*config_result.problems, *(p for r in client_results for p in r.problems)]
    return Setting(
        root=root,
        today=today,
        config=chosen,
        config_valid=valid,
        config_ok=not config_result.problems,
        shift=shift,
        problems=problems,
        clients=client_results,
        context=checks.context(candidates, today),
        texts=texts or {},
    )


class CaseOutcome(NamedTuple):
    """One case file validated on its own: plain and small, so it crosses processes and sits in
    the cache cheaply. `client` is the id it names, whose file it depends on."""

    problems: list[Problem]
    case: Case | None  # the model (dates shifted), None when the file has errors of its own
    facts: checks.CaseFacts | None  # what the cross-file checks need
    event_count: int  # counted on the parsed data, so files with errors count too
    client: str | None


class CaseFile(NamedTuple):
    """One case file read on its own: what depends on its bytes (and path) only, not on today,
    the configuration or the clients, so it is cached by the file's contents."""

    problems: list[Problem]  # its own (not located): YAML, model, id against the file name
    case: Case | None  # the model as written (no demo shift), None when the file has errors
    event_count: int  # counted on the parsed data, so files with errors count too
    client: str | None  # the id it names
    latest: date | None  # its latest date of any kind (before any demo shift)
    documents: bool  # some event names a kept copy of a document (checked every time)


def read_case(path: Path, parsed: Parsed) -> CaseFile:
    """A case file's model or its problems, from its parsed data."""
    result = validate_file(path, parsed, Case)
    data = parsed[1] if parsed[0] == "data" and isinstance(parsed[1], dict) else None
    client = data.get("client") if data is not None else None
    case = result.value if isinstance(result.value, Case) and not result.problems else None
    latest = latest_date(case) if case is not None else None
    documents = case is not None and any(getattr(event, "document", None) for event in case.events)
    client_id = client if isinstance(client, str) else None
    return CaseFile(result.problems, case, result.event_count, client_id, latest, documents)


def latest_date(value: Any) -> date | None:
    """The latest date a model value holds, at any depth (among what `shift_dates` moves)."""
    latest: date | None = None
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, date):
            latest = item if latest is None or item > latest else latest
        elif isinstance(item, BaseModel):
            stack.extend(item.__dict__.values())  # a model's fields
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
    return latest


def check_case(setting: Setting, path: Path, found: CaseFile) -> CaseOutcome:
    """A case file read on its own, checked against the setting (demo shift, configuration,
    clients, today), with the facts the cross-file checks need."""
    case, problems, facts = found.case, found.problems, None
    if case is not None:
        if setting.shift:
            case = shift_dates(case, setting.shift)
        own, facts = checks.check_case(setting.context, path, case)
        problems = [*problems, *own]
    return CaseOutcome(problems, case, facts, found.event_count, found.client)


def validate_case(setting: Setting, path: Path, parsed: Parsed) -> CaseOutcome:
    """One case file: its model, its problems and the per-case checks, with the facts the
    cross-file checks need. The one definition of "validate a case" (load, check, record)."""
    return check_case(setting, path, read_case(path, parsed))


def cross_checks(setting: Setting, facts: list[checks.CaseFacts]) -> list[Problem]:
    """The configuration, client and cross-file checks, given the facts of the valid cases."""
    return checks.ledger_checks(setting.context, facts, config_ok=setting.config_ok)


TextOf = Callable[[Path], str]


def assemble(
    setting: Setting,
    cases: Sequence[tuple[Path, CaseOutcome]],
    text_of: TextOf,
    listing_problems: Sequence[Problem] = (),
) -> LoadResult:
    """The ledger of the valid files and every problem, located (`text_of` gives a file's text)
    and sorted."""
    problems: list[Problem] = [*setting.problems, *listing_problems]
    facts = []
    for _, outcome in cases:
        problems.extend(outcome.problems)
        if outcome.facts is not None:
            facts.append(outcome.facts)
    problems.extend(cross_checks(setting, facts))
    problems = locate_all(problems, text_of)
    bad_files = {p.file for p in problems if p.severity == Severity.ERROR}
    valid_clients = setting.context.candidates.clients
    clients = {c.id: c for path, c in valid_clients if path not in bad_files}
    valid_cases = [(path, o.case) for path, o in cases if o.case is not None]
    kept = {c.id: c for path, c in valid_cases if path not in bad_files and c.client in clients}
    ledger = Ledger(
        root=setting.root,
        config=setting.config,
        clients=clients,
        cases=kept,
        case_files={c.id: p for p, c in valid_cases if c.id in kept},
        client_files={c.id: p for p, c in valid_clients if c.id in clients},
    )
    counts = {
        "cases": len(cases),
        "clients": len(setting.clients),
        "events": sum(o.event_count for _, o in cases),
    }
    return LoadResult(ledger=ledger, problems=problems, counts=counts, left_out=sorted(bad_files))


def text_from(texts: Mapping[Path, bytes], fallback: TextOf | None = None) -> TextOf:
    def text_of(file: Path) -> str:
        raw = texts.get(file)
        if raw is None:
            return fallback(file) if fallback is not None else ""
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return ""

    return text_of


def text_on_disk(file: Path) -> str:
    try:
        return read_ledger_file(str(file))[1].decode("utf-8-sig")
    except (UnreadableFile, UnicodeDecodeError):
        return ""


def _kind_of(root: Path, path: Path) -> str:
    """ "config", "client" or "case": where `path` sits in the ledger at `root`."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = ()
    if parts == (CONFIG_NAME,):
        return "config"
    if len(parts) == 2 and parts[0] == "clients":
        return "client"
    if len(parts) >= 2 and parts[0] == "cases":
        return "case"
    raise ValueError(f"{path} is not a ledger file under {root} (relancegit.yaml, clients/*, cases/**)")


def settle_texts(root: Path, texts: Mapping[Path, bytes], today: date) -> Setting:
    """`settle` on the texts of the configuration (`root/relancegit.yaml`; missing, it is the
    same problem as a missing file) and of the clients (`root/clients/*.yaml`) among `texts`;
    other keys are ignored."""
    config_path = root / CONFIG_NAME
    raw = texts.get(config_path)
    config = parse_raw(raw) if raw is not None else _MISSING
    clients = sorted((p for p in texts if _kind_of(root, p) == "client"), key=str)
    kept = {p: texts[p] for p in (config_path, *clients) if p in texts}
    return settle(root, today, config, [(p, parse_raw(texts[p])) for p in clients], kept)


def load_cases(
    setting: Setting, texts: Mapping[Path, bytes], parsed: Mapping[Path, Parsed] | None = None
) -> LoadResult:
    """The cases among `texts` (`root/cases/**.yaml`) validated against `setting`; cross-file
    checks see only them. `parsed` gives the outcome of texts the caller has parsed already."""
    paths = sorted((p for p in texts if _kind_of(setting.root, p) == "case"), key=str)
    known = parsed or {}
    with gc_paused():
        outcomes = [(p, validate_case(setting, p, known[p] if p in known else parse_raw(texts[p]))) for p in paths]
    return assemble(setting, outcomes, text_from(texts, text_from(setting.texts)))


def load_texts(root: Path, texts: Mapping[Path, bytes], today: date) -> LoadResult:
    """The typed ledger and its located problems from file texts, touching no disk.

    Keys are paths under `root`: `root/relancegit.yaml`, `root/clients/*.yaml` and
    `root/cases/**.yaml`. Only the cases given are validated, and the cross-file checks see only
    them: give the texts of a few cases (an import, a `record`) with the configuration and the
    clients, and only those are checked."""
    return load_cases(settle_texts(root, texts, today), texts)


V = TypeVar("V")


def read_through(table: FileTable | None, paths: list[str], make: Callable[[str, Parsed], V]) -> dict[str, V]:
    """`make(path, parsed)` for each file, from `table` where the file's contents are the ones
    it was made from; the others are parsed (across the cores when many) and remembered."""
    values: dict[str, V] = {}
    misses: list[str] = []
    for path in paths:
        if table is not None:
            hit, value = table.lookup(path)
            if hit:
                values[path] = value
                continue
        misses.append(path)
    with gc_paused():
        for path, stamp, content, parsed in parse_files(misses):
            value = values[path] = make(path, parsed)
            if table is not None and stamp is not None and content is not None:
                table.put(path, stamp, content, value)
    if table is not None:
        table.keep_only(set(paths))
    return {path: values[path] for path in paths}  # in the order given


def _parsed(_: str, parsed: Parsed) -> Parsed:
    return parsed


def _store(root: Path, use_cache: bool | None) -> ledger_cache.LedgerCache | None:
    return ledger_cache.LedgerCache(root) if (speed.enabled() if use_cache is None else use_cache) else None


def read_ledger(root: Path, use_cache: bool | None = None, listing: Listing | None = None) -> dict[str, Parsed]:
    """Every ledger file's parsed outcome by path, from the cache where files are unchanged."""
    if listing is None:
        listing = ledger_file_names(root)
    store = _store(root, use_cache)
    paths = [str(root / CONFIG_NAME), *listing.clients, *listing.cases]
    found = read_through(store.files if store else None, paths, _parsed)
    if store is not None:
        store.save()
    return found  # in listing order: config, clients, cases


def read_setting(root: Path, today: date, listing: Listing | None = None) -> Setting:
    """`settle` on the configuration and the clients as they are on disk (no cache), keeping
    their bytes to locate their problems."""
    if listing is None:
        listing = ledger_file_names(root)
    texts: dict[Path, bytes] = {}
    outcomes: list[tuple[Path, Parsed]] = []
    for name in (str(root / CONFIG_NAME), *listing.clients):
        _, raw, problem = read_raw(name)
        if raw is not None:
            texts[Path(name)] = raw
        outcomes.append((Path(name), parse_raw(raw) if raw is not None else problem))
    return settle(root, today, outcomes[0][1], outcomes[1:], texts)


def load_ledger(root: Path, today: date, use_cache: bool | None = None) -> LoadResult:
    """Load, validate and check the ledger at `root` as of `today`: its files listed and read
    (through the cache where unchanged), then the steps of `load_texts`.

    `use_cache` None follows the speed door (RELANCEGIT_NO_CACHE=1 turns the cache off).
    """
    listing = ledger_file_names(root)
    store = _store(root, use_cache)
    config_path = str(root / CONFIG_NAME)
    others = read_through(store.files if store else None, [config_path, *listing.clients], _parsed)
    setting = settle(root, today, others.pop(config_path), [(Path(p), parsed) for p, parsed in others.items()])
    # Each case file's model is built as soon as it is parsed, and its raw data dropped: at
    # 100,000 cases, raw data and models together would double the peak memory. The models
    # are cached by the files' contents: a new day only runs what depends on it.
    found = read_through(store.cases if store else None, listing.cases, lambda p, parsed: read_case(Path(p), parsed))
    outcomes = check_cases(setting, found, store)
    if store is not None:
        store.checked.keep_only(set(listing.cases))
        store.save()
    return assemble(setting, outcomes, text_on_disk, listing.problems)


class Checked(NamedTuple):
    """A case's `checks.check_case_alone` outcome, and for what: the configuration and client it
    was checked against (digests of their models), and the days it holds for."""

    context: bytes
    client: bytes
    day: date  # checked as of this day; every date of the case was before it
    until: date  # the next half-year's first day: rates and interest go by half-year
    problems: list[Problem]
    facts: checks.CaseFacts


class _Keys:
    """Digests of what a case's checks read besides the case and today."""

    def __init__(self, setting: Setting) -> None:
        self.context = ledger_cache.digest(repr((str(setting.root), setting.shift, setting.config)).encode())
        self._clients = setting.context.clients
        self._client_keys: dict[str, bytes] = {}

    def client(self, client_id: str) -> bytes:
        found = self._client_keys.get(client_id)
        if found is None:
            found = self._client_keys[client_id] = ledger_cache.digest(repr(self._clients.get(client_id)).encode())
        return found


def _half_year_after(day: date) -> date:
    return date(day.year, 7, 1) if day.month <= 6 else date(day.year + 1, 1, 1)


def check_cases(
    setting: Setting, found: dict[str, CaseFile], store: ledger_cache.LedgerCache | None = None
) -> list[tuple[Path, CaseOutcome]]:
    """`check_case` on every case file read.

    With `store`, a case's `check_case_alone` outcome of an earlier day is reused when the case
    file, its client and the configuration are the same, every date of the case was before that
    day and today is in the same half-year (see `checks.CASE_CHECKS`); the others are checked
    across the cores when there are many (forked workers inherit the models and send back only
    problems and facts). `checks.check_case_files` runs every time."""
    if setting.shift:
        found = {p: f._replace(case=shift_dates(f.case, setting.shift)) if f.case else f for p, f in found.items()}
    files = {name: Path(name) for name in found}  # one path object per file, shared
    today = setting.today
    keys = _Keys(setting)
    reused: dict[str, tuple[list[Problem], checks.CaseFacts]] = {}
    if store is not None:
        for name, f in found.items():
            mine, source = store.checked.entry(name), store.cases.entry(name)
            if f.case is None or mine is None or source is None or mine.digest != source.digest:
                continue
            value = mine.value
            if (
                isinstance(value, Checked)
                and value.day <= today < value.until
                and value.context == keys.context
                and value.client == keys.client(f.case.client)
            ):
                reused[name] = (value.problems, value.facts)
    names = [p for p, f in found.items() if f.case is not None and p not in reused]
    checked = dict(zip(names, in_chunks(_check_chunk, (setting, found, files), names), strict=True))
    if store is not None:
        shift = timedelta(days=setting.shift)
        for name in names:
            f, source = found[name], store.cases.entry(name)
            if source is None or f.case is None or f.latest is None or f.latest + shift >= today:
                continue  # a date from today on: the outcome may change tomorrow
            value = Checked(keys.context, keys.client(f.case.client), today, _half_year_after(today), *checked[name])
            store.checked.put(name, source.stamp, source.digest, value)
    outcomes = []
    for name, f in found.items():
        own, facts = reused.get(name) or checked.get(name) or ([], None)
        if f.case is not None and f.documents:
            own = [*own, *checks.check_case_files(setting.context, files[name], f.case)]
        outcomes.append((files[name], CaseOutcome([*f.problems, *own], f.case, facts, f.event_count, f.client)))
    return outcomes


def _check_chunk(
    shared: tuple[Setting, dict[str, CaseFile], dict[str, Path]], names: list[str]
) -> list[tuple[list[Problem], checks.CaseFacts]]:
    setting, found, files = shared
    with gc_paused():
        return [checks.check_case_alone(setting.context, files[p], found[p].case) for p in names]  # type: ignore[arg-type]


def locate_all(problems: Iterable[Problem], text_of: TextOf) -> list[Problem]:
    """Locate every problem (one compose per file that has any) and sort them by position."""
    by_file: dict[Path, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(problem.file, []).append(problem)
    located: list[Problem] = []
    for file, group in by_file.items():
        if all(p.located for p in group):
            located.extend(group)
            continue
        located.extend(locate(text_of(file), group))
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
