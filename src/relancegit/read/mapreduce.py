"""`relancegit check` over the whole ledger, map-reduce: the same problems and counts as
`load.load_ledger`, without building the ledger in one process.

Layer: files -> problems, over the steps of the load seam (`read/load.py`). The configuration and
the clients are read and settled here (`load.settle`); each case file is then read, parsed and
validated on its own (`load.validate_case`) in forked worker processes, which send back only
its located problems and the few facts the cross-file checks need (`checks.CaseFacts`); the
cross-file checks then run once (`load.cross_checks`). No model crosses a process boundary.
Each case's outcome is cached per file.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from relancegit import speed
from relancegit.problems import Problem
from relancegit.read import load
from relancegit.read.discover import CONFIG_NAME, Listing, UnreadableFile, ledger_file_names, read_ledger_file
from relancegit.rules import checks
from relancegit.speed import cache as ledger_cache
from relancegit.speed.cache import FileStamp
from relancegit.speed.gc import gc_paused
from relancegit.speed.pool import in_chunks


@dataclass(frozen=True)
class CheckResult:
    problems: list[Problem]  # located and sorted
    counts: dict[str, int]


class CheckedCase(NamedTuple):
    """What checking one case file on its own found: plain and small, so it crosses processes
    and sits in the cache cheaply. `client` is the id it names, whose file it depends on."""

    problems: list[Problem]  # located
    facts: checks.CaseFacts | None  # None when the file has errors of its own
    event_count: int
    client: str | None


def _check_case_chunk(
    shared: tuple[load.Setting, int], paths: list[str]
) -> list[tuple[str, FileStamp | None, bytes | None, CheckedCase]]:
    setting, started_ns = shared
    with gc_paused():
        return [(path, *_check_case_file(setting, path, started_ns)) for path in paths]


def _check_case_file(
    setting: load.Setting, path: str, started_ns: int
) -> tuple[FileStamp | None, bytes | None, CheckedCase]:
    stamp, raw, problem = load.read_raw(path)
    check = None
    if raw is not None and stamp is not None and stamp.racy(started_ns):
        check = ledger_cache.digest(raw)
    file = Path(path)
    outcome = load.validate_case(setting, file, load.parse_raw(raw) if raw is not None else problem)
    problems = outcome.problems
    if problems:  # located with the bytes just read
        problems = load.locate_all(problems, load.text_from({file: raw} if raw is not None else {}))
    return stamp, check, CheckedCase(problems, outcome.facts, outcome.event_count, outcome.client)


def check_ledger(root: Path, today: date, use_cache: bool | None = None, listing: Listing | None = None) -> CheckResult:
    """`check`: the same problems and counts as `load_ledger`, computed map-reduce.

    The configuration and the clients are settled here; then each case file is read, parsed,
    validated and checked on its own (`load.validate_case`) in worker processes, which send
    back only its problems and the few facts the cross-file checks need. Each case's outcome
    is cached by its file stamp and the contents of its client's file, under a key of today,
    the configuration's contents and relancegit's code: after one change, one case is checked
    again. `listing` is the ledger's files when the caller has just listed them."""
    if listing is None:
        listing = ledger_file_names(root)
    client_names, case_names = listing.clients, listing.cases
    setting = load.read_setting(root, today, listing)
    config_raw = setting.texts.get(root / CONFIG_NAME)

    client_digests: dict[str, bytes | None] = {}
    for client_name in client_names:
        client_path = Path(client_name)
        raw = setting.texts.get(client_path)
        digest = None if raw is None else ledger_cache.digest(raw)
        if client_path.stem in client_digests:  # acme.yaml and acme.yml: both count
            digest = ledger_cache.digest(repr((client_digests[client_path.stem], digest)).encode())
        client_digests[client_path.stem] = digest

    store = ledger_cache.LedgerCache(root) if (speed.enabled() if use_cache is None else use_cache) else None
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
    for path, stamp, check, outcome in in_chunks(_check_case_chunk, (setting, started_ns), misses):
        outcomes[path] = outcome
        if stamp is not None:
            client_digest = client_digests.get(outcome.client) if outcome.client else None
            entries[path] = (stamp, check, client_digest, outcome)
    if store is not None and misses:
        store.put_result("checked-cases", run_key, entries)

    problems: list[Problem] = [*setting.problems, *listing.problems]
    facts = []
    for case_path in case_names:
        checked = outcomes[case_path]
        problems.extend(checked.problems)
        if checked.facts is not None:
            facts.append(checked.facts)
    problems.extend(load.cross_checks(setting, facts))
    counts = {
        "cases": len(case_names),
        "clients": len(client_names),
        "events": sum(o.event_count for o in outcomes.values()),
    }
    return CheckResult(load.locate_all(problems, load.text_from(setting.texts, load.text_on_disk)), counts)


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
