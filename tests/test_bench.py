"""The benchmark works (CI runs it at a small size; the figures come from docs/benchmarks.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import DEMO_TODAY, REPO

from relancegit.read.load import load_ledger

sys.path.insert(0, str(REPO / "bench"))
from generate import generate


def test_generated_ledgers_are_valid_and_varied(tmp_path: Path):
    root = generate(300, tmp_path, DEMO_TODAY, seed=7)
    result = load_ledger(root, DEMO_TODAY, use_cache=False)
    assert result.errors == []
    assert len(result.ledger.cases) == 300 and len(result.ledger.clients) == 15
    from relancegit.engine.state import compute_all

    statuses = {state.status.value for state in compute_all(result.ledger, DEMO_TODAY)}
    assert {"paid", "overdue", "upcoming", "escalated", "disputed", "written-off", "plan"} <= statuses
    assert {p.parent.name for p in result.ledger.case_files.values()} >= {"2025", "2026"}


def test_generation_is_deterministic(tmp_path: Path):
    first = generate(50, tmp_path / "a", DEMO_TODAY, seed=3)
    second = generate(50, tmp_path / "b", DEMO_TODAY, seed=3)
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*.yaml"))
    assert names == sorted(p.relative_to(second).as_posix() for p in second.rglob("*.yaml"))
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_benchmark_runs_at_a_small_size(tmp_path: Path):
    report = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, "bench/run.py", "40", "--repeat", "1", "--write", str(report)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    text = report.read_text(encoding="utf-8")
    for row in ("floor (parse only)", "check cold", "check warm", "next one case changed", "build cold"):
        assert f"| {row} |" in text, row
    assert "Machine:" in text
