"""The benchmark works (CI runs it at a small size; the figures come from docs/benchmarks.md)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

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
    for row in ("list cold", "list warm", "next first of a new day", "report first of a new day"):
        assert f"| {row} |" in text, row
    assert "| first `list` of a new day ≤ 0.5 × floor |" in text  # the targets follow the figures
    assert text.index("| build one case changed |") < text.index("## Targets")
    assert "Machine:" in text


def _bench_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it runs
    spec.loader.exec_module(module)
    return module


bench = _bench_run()


def figures(floor: float, **seconds: float | tuple[float, float]) -> dict[str, object]:
    """Made-up results of one size: `check_cold=0.7` is 0.7 s; a pair adds the tree's MiB."""
    results = {"floor (parse only)": bench.Timing(floor, 20, 20)}
    for name, value in seconds.items():
        time, tree = value if isinstance(value, tuple) else (value, 50.0)
        measure = name.replace("_", " ").replace("first of day", "first of a new day")
        results[measure] = bench.Timing(time, min(tree, 50.0), tree)
    return results


def test_targets_at_ten_thousand_cases_are_ratios_to_the_floor_of_the_same_run():
    small = figures(0.1, check_cold=1.0)  # 10 × its own floor: not the size the targets read
    at_10k = figures(
        2.0,
        check_cold=1.4,  # 0.70 ×: met, the limit included
        check_warm=0.22,  # 0.11 ×: not met
        next_first_of_day=0.9,
        list_first_of_day=1.1,  # 0.55 ×
        build_one_case_changed=0.6,
    )
    rows = bench.targets({1000: small, 10_000: at_10k})
    assert rows == [
        ("cold `check` ≤ 0.7 × floor", "0.70 × (1.40 s)", True),
        ("warm `check` ≤ 0.1 × floor", "0.11 × (0.22 s)", False),
        ("first `next` of a new day ≤ 0.5 × floor", "0.45 × (0.90 s)", True),
        ("first `list` of a new day ≤ 0.5 × floor", "0.55 × (1.10 s)", False),
        ("`build` after one case changed ≤ 0.3 × floor", "0.30 × (0.60 s)", True),
    ]  # measures not run (report, cold build) have no row
    table = bench.targets_table(rows)
    assert table.splitlines()[3] == "| warm `check` ≤ 0.1 × floor | 0.11 × (0.22 s) | **not met** |"
    assert table.splitlines()[2].endswith("| met |")


def test_without_ten_thousand_cases_the_largest_size_is_read_and_named():
    rows = bench.targets({1000: figures(1.0, check_warm=0.05), 3000: figures(1.0, check_warm=0.2)})
    assert rows == [("warm `check` ≤ 0.1 × floor", "0.20 × (0.20 s) (at 3,000 cases: 10,000 not run)", False)]


def test_hundred_thousand_cases_add_linearity_and_memory():
    at_10k = figures(1.0, check_cold=1.0, check_warm=0.1, build_cold=10.0)
    at_100k = figures(
        10.0,
        check_cold=(11.9, 300.0),  # × 11.9: within 20 % of × 10
        check_warm=(0.5, 60.0),  # × 5: below, fixed costs; not worse than linear
        build_cold=(125.0, 1100.0),  # × 12.5: not met; the largest tree
    )
    rows = bench.targets({10_000: at_10k, 100_000: at_100k})
    linear = [row for row in rows if "linear" in row[0]]
    assert linear == [
        ("`check cold` linear from 10,000 to 100,000 cases (× 10 ± 20 %)", "1.00 s → 11.90 s: × 11.9", True),
        (
            "`check warm` linear from 10,000 to 100,000 cases (× 10 ± 20 %)",
            "0.10 s → 0.50 s: × 5.0 (sub-linear: fixed costs)",
            True,
        ),
        ("`build cold` linear from 10,000 to 100,000 cases (× 10 ± 20 %)", "10.00 s → 125.00 s: × 12.5", False),
    ]
    assert rows[-1] == (
        "100,000 cases: peak memory ≤ 1 GiB (every command, its whole process tree)",
        "1100 MiB (`build cold`)",
        False,
    )
    at_100k["build cold"] = bench.Timing(100.0, 50, 1024)
    assert bench.targets({10_000: at_10k, 100_000: at_100k})[-1][1:] == ("1024 MiB (`build cold`)", True)
