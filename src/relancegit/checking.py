"""`relancegit check` over the whole ledger, map-reduce: the same problems and counts as
`load.load_ledger`, without building the ledger in one process.

Layer: files -> problems, like `load.py`, whose reading, parsing and validation it uses. The
configuration and the clients are loaded here; each case file is then read, parsed, validated
and checked on its own (`checks.check_case`) in forked worker processes, which send back only
its problems and the few facts the cross-file checks need (`checks.CaseFacts`). No model
crosses a process boundary. Each case's outcome is cached per file.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from relancegit import checks
from relancegit.discover import CONFIG_NAME, Listing, UnreadableFile, ledger_file_names, read_ledger_file
from relancegit.load import (
    FALLBACK_CONFIG,
    demo_shift,
    gc_paused,
    in_chunks,
    locate_all,
    parse_raw,
    read_parsed,
    read_raw,
    shift_dates,
    validate_file,
)
from relancegit.model import Case, Client, Config
from relancegit.problems import Problem
from relancegit.speed import cache as ledger_cache
from relancegit.speed.cache import FileStamp


@dataclass(frozen=True)
class CheckResult:
    problems: list[Problem]  # located and sorted
    counts: dict[str, int]


class CheckedCase(NamedTuple):
    """What checking one case file on its own found: plain and small, so it crosses processes
    and sits in the cache cheaply. `client` is the id it names, whose file it depends on."""

    problems: list[Problem]  # located
    facts: Any  # checks.CaseFacts, None when the file has errors of its own
    event_count: int
    client: str | None


# What forked workers inherit: (checks.Context, demo shift, start of the run).
_CHECKING: tuple[Any, int, int] | None = None


def _check_case_chunk(paths: list[str]) -> list[tuple[str, FileStamp | None, bytes | None, CheckedCase]]:
    assert _CHECKING is not None
    ctx, shift, started_ns = _CHECKING
    with gc_paused():
        return [(path, *_check_case_file(ctx, shift, path, started_ns)) for path in paths]


def _check_case_file(
    ctx: Any, shift: int, path: str, started_ns: int
) -> tuple[FileStamp | None, bytes | None, CheckedCase]:
    stamp, check, parsed = read_parsed(path, started_ns)
    file = Path(path)
    result = validate_file(file, parsed, Case)
    problems = list(result.problems)
    facts = None
    case = result.value
    client = parsed[1].get("client") if parsed[0] == "data" and isinstance(parsed[1], dict) else None
    if isinstance(case, Case) and not problems:
        if shift:
            case = shift_dates(case, shift)
        found, facts = checks.check_case(ctx, file, case)
        problems.extend(found)
    located = locate_all(problems) if problems else problems
    return stamp, check, CheckedCase(located, facts, result.event_count, client if isinstance(client, str) else None)


def check_ledger(root: Path, today: date, use_cache: bool | None = None, listing: Listing | None = None) -> CheckResult:
    """`check`: the same problems and counts as `load_ledger`, computed map-reduce.

    The configuration and the clients are loaded here; then each case file is read, parsed,
    validated and checked on its own (`checks.check_case`) in worker processes, which send
    back only its problems and the few facts the cross-file checks need. Each case's outcome
    is cached by its file stamp and the contents of its client's file, under a key of today,
    the configuration's contents and relancegit's code: after one change, one case is checked
    again. `listing` is the ledger's files when the caller has just listed them."""
    global _CHECKING
    if listing is None:
        listing = ledger_file_names(root)
    client_names, case_names = listing.clients, listing.cases
    client_paths = [Path(p) for p in client_names]
    config_path = root / CONFIG_NAME
    _, config_raw, config_problem = read_raw(str(config_path))
    config_parsed = parse_raw(config_raw) if config_raw is not None else config_problem
    config_result = validate_file(config_path, config_parsed, Config, check_id=False)
    config = config_result.value if isinstance(config_result.value, Config) else FALLBACK_CONFIG
    shift = demo_shift(config, today)

    client_digests: dict[str, bytes | None] = {}
    client_results = []
    for client_path in client_paths:
        _, raw, problem = read_raw(str(client_path))
        digest = None if raw is None else ledger_cache.digest(raw)
        if client_path.stem in client_digests:  # acme.yaml and acme.yml: both count
            digest = ledger_cache.digest(repr((client_digests[client_path.stem], digest)).encode())
        client_digests[client_path.stem] = digest
        client_results.append(validate_file(client_path, parse_raw(raw) if raw is not None else problem, Client))
    valid_clients = []
    for r in client_results:
        if isinstance(r.value, Client) and not r.problems:
            valid_clients.append((r.path, shift_dates(r.value, shift) if shift else r.value))
    candidates = checks.Candidates(
        root=root,
        config=config,
        config_path=config_path,
        clients=valid_clients,
        broken_clients={r.path.stem for r in client_results if r.problems},
        cases=[],  # checked one by one below
    )
    ctx = checks.context(candidates, today)

    store = ledger_cache.LedgerCache(root) if (ledger_cache.enabled() if use_cache is None else use_cache) else None
    run_key = repr((ledger_cache.code_fingerprint(), today, config_raw and ledger_cache.digest(config_raw)))
    cached: dict[str, tuple[FileStamp, bytes | None, bytes | None, CheckedCase]] = {}
    if store is not None:
        found = store.get_result("checked-cases", run_key)
        cached = found if isinstance(found, dict) else {}
    outcomes: dict[str, CheckedCase] = {}
    entries: dict[str, tuple[FileStamp, bytes | None, bytes | None, CheckedCase]] = {}
    misses: list[str] = []
    for case_path in case_names:
        entry = cached.get(case_path)
        if entry is not None and _still_valid(case_path, entry, client_digests):
            outcomes[case_path] = entry[3]
            entries[case_path] = entry
        else:
            misses.append(case_path)
    started_ns = store.started_ns if store is not None else time.time_ns()
    _CHECKING = (ctx, shift, started_ns)
    try:
        for path, stamp, check, outcome in in_chunks(_check_case_chunk, misses):
            outcomes[path] = outcome
            if stamp is not None:
                client_digest = client_digests.get(outcome.client) if outcome.client else None
                entries[path] = (stamp, check, client_digest, outcome)
    finally:
        _CHECKING = None
    if store is not None and misses:
        store.put_result("checked-cases", run_key, entries)

    problems: list[Problem] = [*config_result.problems, *listing.problems]
    for r in client_results:
        problems.extend(r.problems)
    facts = []
    for case_path in case_names:
        outcome = outcomes[case_path]
        problems.extend(outcome.problems)
        if outcome.facts is not None:
            facts.append(outcome.facts)
    problems.extend(checks.ledger_checks(ctx, facts, config_ok=not config_result.problems))
    counts = {
        "cases": len(case_names),
        "clients": len(client_names),
        "events": sum(o.event_count for o in outcomes.values()),
    }
    return CheckResult(locate_all(problems), counts)


def _still_valid(
    path: str, entry: tuple[FileStamp, bytes | None, bytes | None, CheckedCase], client_digests: dict[str, bytes | None]
) -> bool:
    """A cached case outcome holds if its file and its client's file are unchanged."""
    stamp, check, client_digest, outcome = entry
    try:
        if FileStamp.of(os.stat(path)) != stamp:
            return False
        if check is not None and ledger_cache.digest(read_ledger_file(path)[1]) != check:
            return False  # cached while racy: the contents decide
    except (OSError, UnreadableFile):
        return False
    return outcome.client is None or client_digests.get(outcome.client) == client_digest
