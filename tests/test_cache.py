"""The cache never serves stale data: changed, added, removed and renamed files are seen,
a damaged or foreign cache is ignored and rebuilt, and results are the same without it."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CASE, DEMO, DEMO_TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relancegit import speed
from relancegit.cli import main
from relancegit.read.load import load_ledger
from relancegit.speed import cache

OTHER_CASE = CASE.replace("2026-0042", "2026-0043").replace("F2026-0043", "F2026-0043")


@pytest.fixture(autouse=True)
def private_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(speed.ENV_NO_CACHE, raising=False)


def age(path: Path, seconds: float = 60) -> None:
    """Make a file look old, so its cache entry is trusted on its stamp alone (not racy)."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def age_all(root: Path) -> None:
    for path in root.rglob("*.yaml"):
        age(path)


def check_json(root: Path) -> dict:
    result = CliRunner().invoke(main, ["--ledger", str(root), "--today", "2026-11-23", "check", "--format", "json"])
    return json.loads(result.stdout)


def next_json(root: Path) -> list:
    result = CliRunner().invoke(main, ["--ledger", str(root), "--today", "2026-11-23", "next", "--format", "json"])
    return json.loads(result.stdout)


def test_cache_is_written_and_used(make_ledger):
    root = make_ledger()
    age_all(root)
    first = load_ledger(root, DEMO_TODAY, use_cache=True)
    store = cache.LedgerCache(root)
    path = str(root / "cases/2026/2026-0042.yaml")
    assert store.cases.file_of(path).is_file()
    hit, found = store.cases.lookup(path)
    assert hit and found.case.id == "2026-0042" and found.problems == [] and found.client == "acme"
    config = str(root / "relancegit.yaml")
    hit, parsed = store.files.lookup(config)
    assert hit and parsed[0] == "data" and "creditor" in parsed[1]
    second = load_ledger(root, DEMO_TODAY, use_cache=True)
    assert second.ledger.cases == first.ledger.cases


def test_a_new_day_reuses_the_validated_models(make_ledger, monkeypatch: pytest.MonkeyPatch):
    """What depends on a file's bytes only is not computed again on another day; what depends
    on today is."""
    from relancegit.read import load

    root = make_ledger()
    age_all(root)
    load_ledger(root, DEMO_TODAY, use_cache=True)
    built: list[Path] = []
    real = load.read_case
    monkeypatch.setattr(load, "read_case", lambda path, parsed: built.append(path) or real(path, parsed))
    later = DEMO_TODAY + timedelta(days=1)
    again = load_ledger(root, later, use_cache=True)
    assert built == []
    fresh = load_ledger(root, later, use_cache=False)
    assert again.ledger.cases == fresh.ledger.cases and again.problems == fresh.problems
    assert built == [root / "cases/2026/2026-0042.yaml"]  # only the uncached run built it


def test_same_contents_under_new_stamps_are_served(make_ledger, monkeypatch: pytest.MonkeyPatch):
    """A fresh checkout (or a CI cache restored into one) gives every file a new mtime and
    inode: the content digest decides, the cached models serve, and the new stamps are kept."""
    from relancegit.read import load

    root = make_ledger()
    age_all(root)
    expected = load_ledger(root, DEMO_TODAY, use_cache=True)
    for path in sorted(root.rglob("*.yaml")):  # rewritten, as a checkout does: same bytes
        data = path.read_bytes()
        path.unlink()
        path.write_bytes(data)
    age_all(root)
    built: list[Path] = []
    real = load.read_case
    monkeypatch.setattr(load, "read_case", lambda path, parsed: built.append(path) or real(path, parsed))
    again = load_ledger(root, DEMO_TODAY, use_cache=True)
    assert built == [] and again.ledger.cases == expected.ledger.cases
    path = str(root / "cases/2026/2026-0042.yaml")
    entry = cache.LedgerCache(root).cases._tables()[cache._shard(path)][path]
    assert entry.stamp == cache.FileStamp.of(os.stat(path)) and entry.trusted  # served by stamp next time


def test_changed_file_is_seen_even_with_same_size_and_mtime(make_ledger):
    """The racy case: an edit within the same mtime tick and the same size."""
    root = make_ledger()
    path = root / "cases/2026/2026-0042.yaml"
    assert load_ledger(root, DEMO_TODAY, use_cache=True).ledger.cases["2026-0042"].events[1].amount == 750
    stat = path.stat()
    path.write_text(path.read_text().replace("amount: 750,", "amount: 751,"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
    assert path.stat().st_size == stat.st_size
    assert load_ledger(root, DEMO_TODAY, use_cache=True).ledger.cases["2026-0042"].events[1].amount == 751


def test_changed_file_is_seen(make_ledger):
    root = make_ledger()
    age_all(root)
    load_ledger(root, DEMO_TODAY, use_cache=True)
    path = root / "cases/2026/2026-0042.yaml"
    path.write_text(path.read_text() + "  - {date: 2026-11-01, type: payment, amount: 750}\n")
    age(path, 30)
    assert load_ledger(root, DEMO_TODAY, use_cache=True).ledger.cases["2026-0042"].events[-1].amount == 750
    assert check_json(root)["counts"]["events"] == 3


def test_added_removed_and_renamed_files_are_seen(make_ledger):
    root = make_ledger()
    age_all(root)
    assert list(load_ledger(root, DEMO_TODAY, use_cache=True).ledger.cases) == ["2026-0042"]
    added = root / "cases/2026/2026-0043.yaml"
    added.write_text(OTHER_CASE)
    age(added)
    assert sorted(load_ledger(root, DEMO_TODAY, use_cache=True).ledger.cases) == ["2026-0042", "2026-0043"]
    renamed = root / "cases/2025/2026-0043.yaml"
    renamed.parent.mkdir()
    shutil.move(added, renamed)
    result = load_ledger(root, DEMO_TODAY, use_cache=True)
    assert result.ledger.case_files["2026-0043"] == renamed
    renamed.unlink()
    assert list(load_ledger(root, DEMO_TODAY, use_cache=True).ledger.cases) == ["2026-0042"]


def test_command_results_follow_the_files(make_ledger):
    root = make_ledger()
    age_all(root)
    assert check_json(root)["ok"] is True
    assert check_json(root)["ok"] is True  # replayed
    path = root / "cases/2026/2026-0042.yaml"
    path.write_text(path.read_text().replace("amount: 750", "amount: 7.505"))
    age(path, 30)
    report = check_json(root)
    assert report["ok"] is False and report["errors"][0]["message"] == "amount 7.505 has more than 2 decimals"


def test_result_key_includes_today_and_options(make_ledger):
    root = make_ledger()
    age_all(root)
    runner = CliRunner()
    base = ["--ledger", str(root), "check", "--format", "json"]
    early = json.loads(runner.invoke(main, ["--today", "2026-10-10", *base]).stdout)
    late = json.loads(runner.invoke(main, ["--today", "2026-11-23", *base]).stdout)
    assert len(early["warnings"]) == 1 and late["warnings"] == []
    strict = runner.invoke(main, ["--today", "2026-10-10", *base, "--strict"])
    assert strict.exit_code == 1


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\x00" * 64])
def test_damaged_cache_is_ignored_and_rebuilt(make_ledger, damage: bytes):
    root = make_ledger()
    age_all(root)
    expected = check_json(root)
    folder = root.parent / cache.CACHE_DIR
    for path in folder.iterdir():
        path.write_bytes(damage)
    assert check_json(root) == expected
    assert load_ledger(root, DEMO_TODAY, use_cache=True).ledger.cases
    path = str(root / "cases/2026/2026-0042.yaml")
    assert cache.LedgerCache(root).cases.file_of(path).read_bytes() != damage  # rebuilt


def test_foreign_cache_is_never_unpickled(make_ledger, tmp_path: Path):
    """A cache file not signed with this user's key (e.g. committed by someone) is ignored."""
    root = make_ledger()
    folder = root.parent / cache.CACHE_DIR
    folder.mkdir()
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    payload = pickle.dumps({"version": "0", "entries": Evil()})
    tables = cache.LedgerCache(root)
    for name in ("relancegit.yaml", "clients/acme.yaml", "cases/2026/2026-0042.yaml"):
        for table in (tables.files, tables.cases):
            table.file_of(str(root / name)).write_bytes(b"\x00" * 32 + payload)
    assert load_ledger(root, DEMO_TODAY, use_cache=True).ledger.cases
    assert not marker.exists()


def test_two_writers_leave_a_readable_cache(make_ledger):
    root = make_ledger()
    age_all(root)
    first, second = cache.LedgerCache(root), cache.LedgerCache(root)
    path = str(root / "cases/2026/2026-0042.yaml")
    stamp = cache.FileStamp.of(os.stat(path))
    content = cache.digest(Path(path).read_bytes())
    first.files.put(path, stamp, content, ("data", {"id": "a"}))
    second.files.put(path, stamp, content, ("data", {"id": "b"}))
    first.save()
    second.save()
    hit, parsed = cache.LedgerCache(root).files.lookup(path)
    assert hit and parsed == ("data", {"id": "b"})
    assert not [p for p in (root.parent / cache.CACHE_DIR).iterdir() if p.name.startswith(".")]


def test_demo_results_identical_with_and_without_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    copy = tmp_path / "demo" / "ledger"
    shutil.copytree(DEMO, copy)
    cold = (check_json(copy), next_json(copy))
    warm = (check_json(copy), next_json(copy))
    monkeypatch.setenv(speed.ENV_NO_CACHE, "1")
    uncached = (check_json(copy), next_json(copy))
    assert cold == warm == uncached
    assert cold[1]  # the demo agenda is not empty


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**16), st.lists(st.sampled_from(["edit", "add", "remove", "touch"]), max_size=4))
def test_generated_ledger_same_results_with_and_without_cache(tmp_path_factory, seed: int, edits: list[str]):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from generate import generate

    root = generate(60, tmp_path_factory.mktemp("gen"), DEMO_TODAY, seed)
    cases = sorted((root / "cases").rglob("*.yaml"))
    load_ledger(root, DEMO_TODAY, use_cache=True)  # fill the cache
    for i, edit in enumerate(edits):
        target = cases[(seed + i) % len(cases)]
        if not target.exists():
            continue
        if edit == "edit":
            target.write_text(
                target.read_text().replace("events: []", "events:")
                + f"  - {{date: 2026-11-20, type: note, note: n{i}}}\n"
            )
        elif edit == "add":
            new = target.with_name(f"9999-{i:06d}.yaml")
            text = target.read_text().replace(target.stem, new.stem)
            new.write_text(text.replace("number: F", "number: G"))
        elif edit == "remove":
            target.unlink()
        else:
            os.utime(target)
    cached = load_ledger(root, DEMO_TODAY, use_cache=True)
    fresh = load_ledger(root, DEMO_TODAY, use_cache=False)
    assert cached.ledger.cases == fresh.ledger.cases
    assert [p.format() for p in cached.problems] == [p.format() for p in fresh.problems]


# Days around the generated ledgers' dates and the demo's: before and after events, both sides
# of half-year boundaries (2027's rates are not in the table yet: new warnings), far ahead.
DAYS = [
    date(2026, 6, 30),
    date(2026, 7, 1),
    date(2026, 10, 1),
    date(2026, 11, 20),
    date(2026, 11, 23),
    date(2026, 11, 24),
    date(2026, 12, 9),
    date(2026, 12, 31),
    date(2027, 1, 1),
    date(2027, 3, 15),
    date(2027, 7, 2),
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**16), st.lists(st.sampled_from(DAYS), min_size=2, max_size=6))
def test_checks_reused_on_later_days_are_the_checks_of_that_day(tmp_path_factory, seed: int, days: list[date]):
    """A case's own checks made on one day are reused on later days (`load.check_cases`):
    on any sequence of days, forwards and backwards, the problems and the ledger are those of
    a load without the cache. The demo (shifted dates, documents, credit limits, a consumer)
    and generated ledgers."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from generate import generate

    roots = [generate(60, tmp_path_factory.mktemp("gen"), DEMO_TODAY, seed)]
    demo = tmp_path_factory.mktemp("demo") / "ledger"
    shutil.copytree(DEMO, demo)
    roots.append(demo)
    for root in roots:
        for day in days:
            cached = load_ledger(root, day, use_cache=True)
            fresh = load_ledger(root, day, use_cache=False)
            assert [p.format() for p in cached.problems] == [p.format() for p in fresh.problems], day
            assert cached.ledger.cases == fresh.ledger.cases


def test_checks_are_reused_only_while_they_hold(make_ledger, monkeypatch: pytest.MonkeyPatch):
    """Reused the next day; checked again in a new half-year, after the case or its client
    changed, and every day while the case has a date from today on."""
    from relancegit.read import load
    from relancegit.rules import checks

    root = make_ledger()
    age_all(root)
    checked: list[date] = []
    real = checks.check_case_alone
    monkeypatch.setattr(checks, "check_case_alone", lambda ctx, *a: checked.append(ctx.today) or real(ctx, *a))

    def days(*when: date) -> list[date]:
        checked.clear()
        for day in when:
            load.load_ledger(root, day, use_cache=True)
        return list(checked)

    first, second, third = date(2026, 11, 24), date(2026, 11, 25), date(2026, 12, 2)
    assert days(first, second, third) == [first]
    assert days(date(2027, 1, 4)) == [date(2027, 1, 4)]  # a new half-year
    client = root / "clients/acme.yaml"
    client.write_text(client.read_text() + "siren: '732829320'\n")
    age(client)
    assert days(date(2027, 1, 5), date(2027, 1, 6)) == [date(2027, 1, 5)]
    case = root / "cases/2026/2026-0042.yaml"
    case.write_text(case.read_text() + "  - {date: 2027-01-20, type: note, note: later}\n")
    age(case)
    assert days(date(2027, 1, 7), date(2027, 1, 8), date(2027, 1, 21), date(2027, 1, 22)) == [
        date(2027, 1, 7),
        date(2027, 1, 8),
        date(2027, 1, 21),
    ]


def test_a_date_on_the_day_of_the_check_is_checked_again_the_next_day(make_ledger):
    """Due on the day of a check: no interest yet, so no rate needed; the next day interest
    runs in a half-year whose rate the table lacks, and the warning must appear."""
    case = (
        "id: 2027-0001\nclient: acme\n"
        "invoices:\n  - {number: F2027-0001, date: 2026-12-04, due: 2027-01-04, amount: 100}\nevents: []\n"
    )
    root = make_ledger({"cases/2026/2026-0042.yaml": None, "cases/2027/2027-0001.yaml": case})
    age_all(root)
    due, after = date(2027, 1, 4), date(2027, 1, 5)
    assert [p.format() for p in load_ledger(root, due, use_cache=True).problems] == [
        p.format() for p in load_ledger(root, due, use_cache=False).problems
    ]
    later = [p.format() for p in load_ledger(root, after, use_cache=True).problems]
    assert later == [p.format() for p in load_ledger(root, after, use_cache=False).problems]
    assert any("2027-H1" in line for line in later)


def test_a_sent_copy_added_later_is_seen_with_reused_checks(make_ledger):
    """The checks of a case are reused the next day, but whether the copy of a sent document
    exists is looked at every time."""
    case = CASE.replace(
        "type: reminder, step: reminder-1, channel: email}",
        "type: reminder, step: reminder-1, channel: email, document: sent/2026-0042/relance.pdf}",
    )
    assert case != CASE
    root = make_ledger({"cases/2026/2026-0042.yaml": case})
    age_all(root)
    first = [p.format() for p in load_ledger(root, date(2026, 11, 24), use_cache=True).problems]
    assert any("not found (the copy of what was sent)" in line for line in first)
    copy = root / "sent/2026-0042/relance.pdf"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"%PDF-1.4\n")
    later = [p.format() for p in load_ledger(root, date(2026, 11, 25), use_cache=True).problems]
    assert later == [p.format() for p in load_ledger(root, date(2026, 11, 25), use_cache=False).problems]
    assert not any("not found" in line for line in later)


def show_paid(root: Path) -> str:
    args = ["--ledger", str(root), "--today", "2026-11-23", "show", "2026-0042", "--format", "json"]
    return json.loads(CliRunner().invoke(main, args).stdout)["paid"]


def test_racy_results_are_checked_by_content(make_ledger):
    """Stored while a file was racy, a result is reused only if that file's content is the same."""
    root = make_ledger()  # just written: within the racy window
    path = root / "cases/2026/2026-0042.yaml"
    results = root.parent / cache.CACHE_DIR / f"result-show.v{cache._FORMAT}.pickle"
    assert show_paid(root) == "750.00"
    assert results.exists()  # stored, with the contents digest of the racy files
    assert show_paid(root) == "750.00"  # reused: same stamps, same contents
    stat = path.stat()
    path.write_text(path.read_text().replace("amount: 750,", "amount: 9.9,"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime, new content
    assert path.stat().st_size == stat.st_size
    assert show_paid(root) == "9.90"


def test_replayed_command_does_not_import_pydantic(make_ledger):
    """A replay prints the stored output without loading the model: the first run imports
    pydantic (to validate), the second, nothing having changed, does not."""
    import subprocess
    import sys

    root = make_ledger()
    age_all(root)
    probe = (
        "import sys\n"
        "from relancegit.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "finally:\n"
        "    sys.stderr.write('pydantic imported: %s' % ('pydantic' in sys.modules))\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe, "--ledger", str(root), "--today", "2026-11-23", "check"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ},
        )
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0]
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.startswith("ok: ")
    assert runs[0].stderr.endswith("pydantic imported: True")
    assert runs[1].stderr.endswith("pydantic imported: False")


def test_a_command_leaves_nothing_frozen(make_ledger, monkeypatch: pytest.MonkeyPatch):
    """Reading commands keep the loaded ledger out of the collector's sight while they run
    (`speed.gc.keep_loaded`) and put it back when they end, errors included."""
    import gc

    from relancegit.engine import state

    root = make_ledger()
    frozen_during: list[int] = []
    real = state.compute_all
    monkeypatch.setattr(state, "compute_all", lambda *a: frozen_during.append(gc.get_freeze_count()) or real(*a))
    result = CliRunner().invoke(main, ["--ledger", str(root), "--today", "2026-11-24", "next"])
    assert result.exit_code == 0, result.output
    assert frozen_during and frozen_during[0] > 0
    assert gc.get_freeze_count() == 0
    result = CliRunner().invoke(main, ["--ledger", str(root), "--today", "2026-11-25", "show", "no-such-case"])
    assert result.exit_code != 0 and gc.get_freeze_count() == 0


def test_one_listing_is_stamped_once(make_ledger, monkeypatch: pytest.MonkeyPatch):
    """A command keying its output and then a part of its work with the same listing stats
    the ledger's files once; a new listing stats them again (and sees a change)."""
    from relancegit.read.discover import ledger_file_names

    root = make_ledger()
    age_all(root)
    listing = ledger_file_names(root)
    first, _ = cache.input_signature(root, "a", listing=listing)
    stats: list[str] = []
    real = os.stat
    monkeypatch.setattr(cache.os, "stat", lambda path, *a, **k: stats.append(str(path)) or real(path, *a, **k))
    assert cache.input_signature(root, "a", listing=listing)[0] == first
    assert [s for s in stats if s.endswith(".yaml")] == []
    path = root / "cases/2026/2026-0042.yaml"
    path.write_text(path.read_text() + "# changed\n")
    assert cache.input_signature(root, "a", listing=ledger_file_names(root))[0] != first
    assert str(path) in stats
