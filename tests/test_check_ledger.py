"""`check` map-reduce (`checking.check_ledger`): each case checked on its own in worker processes,
its outcome cached per file. It must find exactly what `load_ledger` finds, and its cache must
follow every file it depends on: the case, its client, the configuration and today."""

from __future__ import annotations

import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import DEMO, DEMO_TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relancegit import speed
from relancegit.read import mapreduce as checking
from relancegit.read.load import load_ledger
from relancegit.read.mapreduce import check_ledger
from relancegit.speed import cache, pool

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import generate


@pytest.fixture(autouse=True)
def private_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(speed.ENV_NO_CACHE, raising=False)


@pytest.fixture
def in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small ledgers too go through the worker processes."""
    monkeypatch.setattr(pool, "PARALLEL_MIN_FILES", 2)


def same_as_load_ledger(root: Path, today: date = DEMO_TODAY, use_cache: bool = False) -> list[str]:
    checked = check_ledger(root, today, use_cache=use_cache)
    loaded = load_ledger(root, today, use_cache=False)
    assert [p.format() for p in checked.problems] == [p.format() for p in loaded.problems]
    assert checked.counts == loaded.counts
    return [p.format() for p in checked.problems]


def age(*paths: Path, seconds: float = 60) -> None:
    """Make files look old, so cache entries are trusted on their stamps (not racy)."""
    past = time.time() - seconds
    for path in paths:
        os.utime(path, (past, past))


def age_all(root: Path, seconds: float = 60) -> None:
    age(*root.rglob("*.yaml"), seconds=seconds)


@pytest.mark.parametrize("today", [DEMO_TODAY, date(2026, 5, 4), date(2027, 3, 1)])
def test_demo_same_as_load_ledger(in_workers, today: date):
    found = same_as_load_ledger(DEMO, today)
    if today == DEMO_TODAY:
        assert any("no rates known for 2026-H2" in p for p in found)


def broken_ledger(tmp_path: Path) -> Path:
    """A generated ledger with one of every cross-file and per-file problem."""
    root = generate(200, tmp_path, DEMO_TODAY, seed=7)
    cases = sorted((root / "cases").rglob("*.yaml"))
    clients = sorted((root / "clients").glob("*.yaml"))
    # duplicate case id (same id in another year folder) and so duplicate invoice numbers
    (root / "cases/older").mkdir()
    shutil.copy(cases[0], root / "cases/older" / cases[0].name)
    # unknown client, and a client whose own file is broken
    cases[1].write_text(cases[1].read_text().replace("client: client-", "client: nobody-"))
    clients[0].write_text(clients[0].read_text() + "unexpected: key\n")
    shutil.copy(clients[2], clients[2].with_suffix(".yml"))  # the same client id twice
    # YAML error, validation error, event out of order
    cases[2].write_text(cases[2].read_text() + "  - {date: 2026-11-01, type: note\n")
    cases[3].write_text(cases[3].read_text().replace("amount:", "amount: -", 1))
    cases[4].write_text(cases[4].read_text() + "  - {date: 2020-01-01, type: note, note: late entry}\n")
    # a credit limit exceeded, and half-years without rates
    clients[1].write_text(clients[1].read_text() + "credit_limit: 1.00\n")
    config = root / "relancegit.yaml"
    config.write_text(config.read_text().split("rates:")[0])
    return root


def test_every_kind_of_problem_same_as_load_ledger(in_workers, tmp_path: Path):
    root = broken_ledger(tmp_path)
    found = "\n".join(same_as_load_ledger(root))
    for expected in (
        "duplicate case id",
        "duplicate invoice number",
        "unknown client 'nobody-",
        "has errors in its file",
        "duplicate client id",
        "invalid YAML",
        "events are appended in date order",
        "above the credit limit",
        "no rates known for 2026-H2",
    ):
        assert expected in found


def test_cached_outcomes_same_as_fresh(in_workers, tmp_path: Path):
    root = broken_ledger(tmp_path)
    age_all(root)
    first = check_ledger(root, DEMO_TODAY, use_cache=True)
    assert (root.parent / cache.CACHE_DIR / f"result-checked-cases.v{cache._FORMAT}.pickle").is_file()
    again = check_ledger(root, DEMO_TODAY, use_cache=True)
    assert again == first
    same_as_load_ledger(root, use_cache=True)


class Spy:
    """Counts the case files checked (not served from the cache), in this process."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = checking._check_case_file

        def spy(setting, path, started_ns):  # type: ignore[no-untyped-def]
            self.paths.append(path)
            return real(setting, path, started_ns)

        monkeypatch.setattr(checking, "_check_case_file", spy)


def test_cache_follows_the_case_its_client_the_config_and_today(tmp_path: Path, monkeypatch):
    root = generate(40, tmp_path, DEMO_TODAY, seed=3)  # few files: checked in this process
    spy = Spy(monkeypatch)
    age_all(root)
    check_ledger(root, DEMO_TODAY, use_cache=True)
    assert len(spy.paths) == 40
    spy.paths.clear()
    assert check_ledger(root, DEMO_TODAY, use_cache=True).problems == []
    assert spy.paths == []  # nothing changed: every outcome from the cache

    # One case changed: only it is checked again, and its new problem is found.
    case = sorted((root / "cases").rglob("*.yaml"))[5]
    case.write_text(case.read_text() + "  - {date: 2020-01-01, type: note, note: out of order}\n")
    age(case, seconds=30)
    result = check_ledger(root, DEMO_TODAY, use_cache=True)
    assert spy.paths == [str(case)]
    assert [p.file for p in result.problems] == [case]
    spy.paths.clear()

    # Its client's file changed: the cases of that client are checked again, no others.
    client_id = next(line.split(": ")[1] for line in case.read_text().splitlines() if line.startswith("client:"))
    client_file = root / "clients" / f"{client_id}.yaml"
    client_file.write_text(client_file.read_text() + "unexpected: key\n")
    age(client_file, seconds=30)
    result = check_ledger(root, DEMO_TODAY, use_cache=True)
    of_client = sorted(str(p) for p in (root / "cases").rglob("*.yaml") if f"client: {client_id}\n" in p.read_text())
    assert sorted(spy.paths) == of_client
    assert any(p.file == case and "has errors in its file" in p.message for p in result.problems)
    same_as_load_ledger(root, use_cache=True)
    spy.paths.clear()

    # The configuration or today changed: everything is checked again.
    check_ledger(root, date(2026, 11, 24), use_cache=True)
    assert len(spy.paths) == 40
    spy.paths.clear()
    config = root / "relancegit.yaml"
    config.write_text(config.read_text() + "language: en\n")
    age(config, seconds=30)
    check_ledger(root, date(2026, 11, 24), use_cache=True)
    assert len(spy.paths) == 40


def test_racy_case_is_checked_by_content(tmp_path: Path, monkeypatch):
    root = generate(20, tmp_path, DEMO_TODAY, seed=5)
    case = sorted((root / "cases").rglob("*.yaml"))[0]
    assert check_ledger(root, DEMO_TODAY, use_cache=True).problems == []  # files just written: racy
    stat = case.stat()
    text = case.read_text()
    changed = text.replace("type: reminder", "type: reminded", 1)
    assert changed != text and len(changed) == len(text)
    case.write_text(changed)
    os.utime(case, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime, new content
    assert case.stat().st_size == stat.st_size
    problems = check_ledger(root, DEMO_TODAY, use_cache=True).problems
    assert [p.file for p in problems] == [case]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.integers(0, 2**16),
    st.lists(st.sampled_from(["edit", "add", "remove", "touch", "client", "break", "config"]), max_size=4),
)
def test_generated_ledger_cached_check_same_as_load_ledger(tmp_path_factory, seed: int, edits: list[str]):
    root = generate(40, tmp_path_factory.mktemp("gen"), DEMO_TODAY, seed)
    cases = sorted((root / "cases").rglob("*.yaml"))
    clients = sorted((root / "clients").glob("*.yaml"))
    age_all(root)
    check_ledger(root, DEMO_TODAY, use_cache=True)  # fill the cache
    for i, edit in enumerate(edits):
        target = cases[(seed + i) % len(cases)]
        if not target.exists():
            continue
        if edit == "edit":
            target.write_text(target.read_text() + f"  - {{date: 2026-11-20, type: note, note: n{i}}}\n")
        elif edit == "add":
            new = target.with_name(f"9999-{i:06d}.yaml")
            new.write_text(target.read_text().replace(target.stem, new.stem))  # same invoice numbers
        elif edit == "remove":
            target.unlink()
        elif edit == "touch":
            os.utime(target)
        elif edit == "client":
            client = clients[(seed + i) % len(clients)]
            client.write_text(client.read_text().replace("type: business", "type: consumer"))
        elif edit == "break":
            client = clients[(seed + i) % len(clients)]
            client.write_text(client.read_text() + "oops: 1\n")
        else:
            config = root / "relancegit.yaml"
            config.write_text(config.read_text().replace("2026-H2", "2031-H2"))
        age_all(root, seconds=30 - i)
    same_as_load_ledger(root, use_cache=True)


def test_renamed_case_and_damaged_outcome_cache(tmp_path: Path):
    """A renamed case file is checked again under its new name (its id no longer matches); a
    damaged outcome cache is ignored, and rebuilt."""
    root = generate(30, tmp_path, DEMO_TODAY, seed=6)
    age_all(root)
    assert check_ledger(root, DEMO_TODAY, use_cache=True).problems == []
    case = sorted((root / "cases").rglob("*.yaml"))[3]
    renamed = case.with_name("2020-000999.yaml")
    case.rename(renamed)
    problems = check_ledger(root, DEMO_TODAY, use_cache=True).problems
    assert [(p.file, p.message.split(" (")[0]) for p in problems] == [
        (renamed, f"id '{case.stem}' does not match the file name")
    ]
    store = root.parent / cache.CACHE_DIR / f"result-checked-cases.v{cache._FORMAT}.pickle"
    data = bytearray(store.read_bytes())
    data[len(data) // 2] ^= 0xFF
    store.write_bytes(bytes(data))
    assert check_ledger(root, DEMO_TODAY, use_cache=True).problems == problems
    assert check_ledger(root, DEMO_TODAY, use_cache=True).problems == problems  # rebuilt, then read


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2027, 3, 1), date(2027, 5, 3)])
def test_missing_rate_shortcut_changes_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, today: date):
    """The missing-rate lint skips a case when every half-year from its oldest due date on is in
    the table. With 2026-H2 unknown and 2027-H1 known, cases first due in 2027 are skipped and the
    others computed; with the shortcut disabled (every case in full) the problems are the same."""
    from relancegit.rules import checks

    root = generate(300, tmp_path, DEMO_TODAY, seed=8)
    config = root / "relancegit.yaml"
    config.write_text(config.read_text().replace("  - {period: 2026-H2", "  # - {period: 2026-H2"))
    computed: list[int] = []
    real = checks.needed_periods
    monkeypatch.setattr(checks, "needed_periods", lambda *a: computed.append(1) or real(*a))
    with_shortcut = load_ledger(root, today, use_cache=False).problems
    in_full = len(computed)
    monkeypatch.setattr(checks.Context, "latest_unknown_half_year", lambda self, debtor: (9999, 2))
    computed.clear()
    without = load_ledger(root, today, use_cache=False).problems
    assert [p.format() for p in with_shortcut] == [p.format() for p in without]
    assert any("no rates known for 2026-H2" in p.message for p in without)  # the lint has work
    if today > date(2027, 1, 1):
        assert 0 < in_full < len(computed), (in_full, len(computed))  # some skipped, some computed
