"""The speed door (`speed.enabled()`, closed by RELANCEGIT_NO_CACHE=1) and the load seam
(`load.load_texts`): the cache, the worker processes, the GC pause and the lean YAML constructor
change how fast the ledger is read, never what is found; texts in memory give what the same
files on disk give."""

from __future__ import annotations

import ast
import multiprocessing
import shutil
import sys
from pathlib import Path

import pytest
from conftest import DEMO, DEMO_TODAY

from relancegit import speed
from relancegit.read import load
from relancegit.read.load import LoadResult, load_ledger, load_texts
from relancegit.read.mapreduce import check_ledger
from relancegit.speed import cache, pool
from relancegit.speed.fastyaml import FastLoader

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import generate


@pytest.fixture(autouse=True)
def private_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(speed.ENV_NO_CACHE, raising=False)
    monkeypatch.setattr(pool, "PARALLEL_MIN_FILES", 2)  # small ledgers too go to the workers


def broken_ledger(target: Path) -> Path:
    """A generated ledger with per-file and cross-file problems."""
    root = generate(60, target, DEMO_TODAY, seed=11)
    cases = sorted((root / "cases").rglob("*.yaml"))
    clients = sorted((root / "clients").glob("*.yaml"))
    (root / "cases/older").mkdir()
    shutil.copy(cases[0], root / "cases/older" / cases[0].name)  # duplicate case id
    cases[1].write_text(cases[1].read_text().replace("client: client-", "client: nobody-"))
    clients[0].write_text(clients[0].read_text() + "unexpected: key\n")
    cases[2].write_text(cases[2].read_text() + "  - {date: 2026-11-01, type: note\n")
    cases[3].write_text(cases[3].read_text().replace("amount:", "amount: -", 1))
    cases[4].write_text(cases[4].read_text() + "  - {date: 2020-01-01, type: note, note: late entry}\n")
    cases[5].write_text(cases[5].read_text().replace("id: ", "id: 0x1F\nold_id: ", 1))
    return root


def copy_of(root: Path, target: Path) -> Path:
    shutil.copytree(root, target / "ledger")
    return target / "ledger"


def outcome(root: Path) -> tuple[LoadResult, LoadResult, object]:
    """load_ledger twice (cold, then from the cache when the door is open) and check_ledger."""
    first = load_ledger(root, DEMO_TODAY)
    again = load_ledger(root, DEMO_TODAY)
    assert (again.problems, again.counts, again.ledger) == (first.problems, first.counts, first.ledger)
    return first, again, check_ledger(root, DEMO_TODAY)


@pytest.mark.parametrize("which", ["demo", "broken"])
def test_door_closed_same_results(which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = copy_of(DEMO, tmp_path) if which == "demo" else broken_ledger(tmp_path)
    opened, _, opened_check = outcome(root)
    assert (root.parent / cache.CACHE_DIR).is_dir()
    shutil.rmtree(root.parent / cache.CACHE_DIR)

    monkeypatch.setenv(speed.ENV_NO_CACHE, "1")
    assert not speed.enabled()
    # With the door closed, none of the machinery runs: no cache, no lean constructor, no pool.
    monkeypatch.setattr(FastLoader, "get_single_data", None)
    monkeypatch.setattr(multiprocessing, "get_context", None)  # what the chunked pool forks with
    monkeypatch.setattr(pool.os, "fork", None)  # what a background child is forked with
    closed, _, closed_check = outcome(root)
    assert not (root.parent / cache.CACHE_DIR).exists()

    assert closed.problems == opened.problems  # messages, severities, paths, lines and columns
    assert closed.counts == opened.counts
    assert closed.ledger == opened.ledger
    assert closed.left_out == opened.left_out
    assert closed_check == opened_check
    if which == "broken":
        messages = "\n".join(p.message for p in opened.problems)
        for expected in ("duplicate case id", "unknown client 'nobody-", "unknown key 'unexpected'", "invalid YAML"):
            assert expected in messages


def texts_of(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*.y*ml") if p.is_file()}


@pytest.mark.parametrize("which", ["demo", "broken"])
def test_load_texts_same_as_load_ledger(which: str, tmp_path: Path):
    root = DEMO if which == "demo" else broken_ledger(tmp_path)
    texts = texts_of(root)
    on_disk = load_ledger(root, DEMO_TODAY, use_cache=False)
    for path in texts:  # the seam touches no disk: the texts alone decide
        if path.is_relative_to(tmp_path):
            path.unlink()
    in_memory = load_texts(root, texts, DEMO_TODAY)
    assert in_memory.problems == on_disk.problems
    assert in_memory.counts == on_disk.counts
    assert in_memory.ledger == on_disk.ledger
    assert in_memory.left_out == on_disk.left_out


def test_load_texts_checks_only_the_cases_given(make_ledger):
    root = make_ledger(
        {
            "cases/2026/2026-0043.yaml": """\
            id: 2026-0043
            client: acme
            invoices:
              - {number: F2026-0042, date: 2026-09-01, due: 2026-10-01, amount: 10}
            """,
        }
    )
    texts = texts_of(root)
    both = load_texts(root, texts, DEMO_TODAY)
    assert any("duplicate invoice number" in p.message for p in both.errors)
    one = {p: t for p, t in texts.items() if not p.name.startswith("2026-0042")}
    alone = load_texts(root, one, DEMO_TODAY)
    assert alone.problems == []
    assert alone.counts == {"cases": 1, "clients": 1, "events": 0}
    assert list(alone.ledger.cases) == ["2026-0043"]


def test_load_texts_without_config_is_a_missing_file(make_ledger):
    root = make_ledger({"relancegit.yaml": None})
    on_disk = load_ledger(root, DEMO_TODAY, use_cache=False)
    in_memory = load_texts(root, texts_of(root), DEMO_TODAY)
    assert in_memory.problems == on_disk.problems
    assert (in_memory.problems[0].file.name, in_memory.problems[0].message) == (
        "relancegit.yaml",
        "cannot read file: No such file or directory",
    )


def test_load_texts_refuses_a_path_outside_the_ledger(make_ledger, tmp_path: Path):
    root = make_ledger()
    with pytest.raises(ValueError, match="is not a ledger file"):
        load_texts(root, {tmp_path / "elsewhere.yaml": b"id: x\n"}, DEMO_TODAY)


def test_parse_raw_follows_the_door(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(FastLoader, "get_single_data", lambda self: "lean")
    assert load.parse_raw(b"a: 1\n") == ("data", "lean")
    monkeypatch.setenv(speed.ENV_NO_CACHE, "1")
    assert load.parse_raw(b"a: 1\n") == ("data", {"a": 1})


@pytest.mark.parametrize("module", ["read/discover", "read/yamlsafe", "rules/checks", "model", "problems"])
def test_reading_and_domain_modules_import_nothing_from_speed(module: str):
    source = Path(load.__file__).parents[1] / f"{module}.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert "relancegit.speed" not in {name[: len("relancegit.speed")] for name in imported}
    assert "relancegit.model" not in imported or module not in ("read/yamlsafe", "read/discover")
