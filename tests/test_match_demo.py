"""The "Done when" of `relancegit match`: a 20-entry camt.053 statement on the demo ledger
(12 matchable, 3 ambiguous, 5 unrelated) gives exactly the expected proposals; `--apply
--commit` records them in one commit that `audit` accepts; a second run records nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import DEMO

from relancegit.cli import main

STATEMENT = Path(__file__).parent / "data" / "match" / "demo-statement.xml"
ANCHOR = "2026-11-23"  # the demo's demo_anchor: its files are read as written

EXPECTED = [
    ("BQ-DEMO-01", "6880.00", "2026-0179", "F2026-0179", "reference"),
    ("BQ-DEMO-02", "8160.00", "2026-0220", None, "reference"),
    ("BQ-DEMO-03", "3000.00", "2026-0208", "F2026-0208", "reference"),
    ("BQ-DEMO-04", "5856.00", "2026-0195", "F2026-0195", "amount+name"),
    ("BQ-DEMO-05", "150.00", None, None, "none"),
    ("BQ-DEMO-06", "2430.00", "2026-0154", "F2026-0154", "amount+name"),
    ("BQ-DEMO-07", "4176.00", "2026-0203", "F2026-0203", "amount+name"),
    ("BQ-DEMO-08", "7920.00", "2026-0233", None, "amount+name"),
    ("BQ-DEMO-09", "42.50", None, None, "none"),
    ("BQ-DEMO-10", "8160.00", None, None, "ambiguous"),
    ("BQ-DEMO-11", "3984.00", "2026-0256", None, "amount+name"),
    ("BQ-DEMO-11", "3984.00", "2026-0262", None, "amount+name"),
    ("BQ-DEMO-12", "2040.00", "2026-0225", "F2026-0225", "amount+name"),
    ("BQ-DEMO-13", "2784.00", "2026-0234", "F2026-0234", "reference"),
    ("BQ-DEMO-14", "1500.00", None, None, "ambiguous"),
    ("BQ-DEMO-15", "1200.00", None, None, "none"),
    ("BQ-DEMO-16", "3960.00", "2026-0239", "F2026-0239", "amount+name"),
    ("BQ-DEMO-17", "2160.00", "2026-0219", "F2026-0219", "reference"),
    ("BQ-DEMO-18", "3000.00", None, None, "ambiguous"),
    ("BQ-DEMO-19", "89.00", None, None, "none"),
    ("BQ-DEMO-20", "5000.00", None, None, "none"),
]


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in {
        "GIT_AUTHOR_NAME": "Claire Martin",
        "GIT_AUTHOR_EMAIL": "claire@example.com",
        "GIT_COMMITTER_NAME": "Claire Martin",
        "GIT_COMMITTER_EMAIL": "claire@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }.items():
        monkeypatch.setenv(name, value)
    root = tmp_path / "ledger"
    shutil.copytree(DEMO, root)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "ledger")
    git(tmp_path, "commit", "-qm", "demo ledger")
    return root


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, text=True).stdout


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", str(root), "--today", ANCHOR, *args], catch_exceptions=False)


def brief(output: str) -> list[tuple[object, ...]]:
    rows = json.loads(output)
    return [(r["entry"]["ref"], r["entry"]["amount"], r["case"], r["invoice"], r["confidence"]) for r in rows]


def test_the_demo_statement_gives_exactly_the_expected_proposals(demo):
    done = run(demo, "--format", "json", "match", str(STATEMENT))

    assert done.exit_code == 0, done.output
    assert brief(done.stdout) == EXPECTED
    entries = {r[0]: r[4] for r in EXPECTED}
    confident = [ref for ref, kind in entries.items() if kind in ("reference", "amount+name")]
    assert (len(entries), len(confident)) == (20, 12)
    assert sum(kind == "ambiguous" for kind in entries.values()) == 3
    assert sum(kind == "none" for kind in entries.values()) == 5


def test_apply_commit_then_audit_passes_and_a_second_run_records_nothing(demo):
    done = run(demo, "match", "--apply", "--commit", str(STATEMENT))

    assert done.exit_code == 0, done.output
    head = git(demo.parent, "rev-parse", "--short", "HEAD").strip()
    assert done.stdout.splitlines()[-1] == f"recorded 13 payments in 13 case files, committed {head}"
    assert git(demo.parent, "log", "-1", "--format=%s") == "match: 13 payments from demo-statement.xml\n"
    assert run(demo, "check").exit_code == 0
    audit = run(demo, "audit")
    assert audit.exit_code == 0, audit.output

    again = run(demo, "--format", "json", "match", "--apply", "--commit", str(STATEMENT))

    assert again.exit_code == 0, again.output
    assert git(demo.parent, "rev-parse", "--short", "HEAD").strip() == head
    rows = json.loads(again.stdout)
    recorded = [r for r in rows if r["reason"].startswith("already recorded: payment ref ")]
    assert len({r["entry"]["ref"] for r in recorded}) == 12
    assert {r["confidence"] for r in rows} == {"none", "ambiguous"}
