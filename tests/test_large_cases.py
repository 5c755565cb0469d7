"""Cases with many events: `show` and `record` stay linear, within a small factor of `check`.

The timings are CPU seconds of real `relancegit` processes (`getrusage` of the children, so a
busy CI machine slows the wall clock, not the figures), compared between commands on the same
ledger and between sizes, never against absolute seconds.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from gitledger import CASE, CASE_PATH, GitLedger, make_ledger

from relancegit.read.yamlsafe import parse_yaml

SMALL, LARGE = 5_000, 20_000


def _many_events(count: int) -> str:
    lines = [
        f'  - {{date: 2026-10-{3 + i * 25 // count:02d}, type: note, note: "Appel {i}, rappeler", by: CM}}'
        if i % 2
        else f"  - {{date: 2026-10-{3 + i * 25 // count:02d}, type: call, outcome: no-answer}}"
        for i in range(count)
    ]
    return CASE + "\n".join(lines) + "\n"


def _cpu_seconds(repo: GitLedger, *args: str) -> float:
    """CPU time (user + system) of one `relancegit` process and the workers it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "relancegit.cli", "--ledger", str(repo.ledger), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "RELANCEGIT_NO_CACHE": "1"},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _figures(root: Path, monkeypatch: pytest.MonkeyPatch, count: int) -> dict[str, float]:
    root.mkdir()
    repo = make_ledger(root, monkeypatch, case=_many_events(count))
    figures = {
        "check": _cpu_seconds(repo, "check"),
        "show": _cpu_seconds(repo, "show", "2026-0042"),
        "record": _cpu_seconds(repo, "record", "2026-0042", "note", "note=last", "--commit"),
    }
    assert len(parse_yaml(repo.read(CASE_PATH))["events"]) == 2 + count + 1
    return figures


def test_show_and_record_of_a_large_case_are_linear_and_near_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = _figures(tmp_path / "small", monkeypatch, SMALL)
    large = _figures(tmp_path / "large", monkeypatch, LARGE)
    report = f"{SMALL} events: {small}; {LARGE} events: {large}"
    for command in ("show", "record"):
        # Near `check` of the same ledger: 1.4× to 1.7× measured here and at 100,000 events
        # (before: show 6×, record 12×); the bound leaves room for a noisy CI machine.
        assert large[command] <= 2.5 * large["check"], report
        # …and linear: four times the events, at most four times the time (startup is shared).
        assert large[command] <= 4.5 * small[command], report


# --- the timeline's table ------------------------------------------------------------------------
# Its layout at each width is tested by tests/test_tables.py (golden screens).


def test_show_prints_notes_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_ledger(tmp_path, monkeypatch)
    note = "[urgent] rappeler :warning: [bold]demain[/bold]"
    assert repo.run("record", "2026-0042", "note", f"note={note}").exit_code == 0
    result = repo.run("show", "2026-0042")
    assert result.exit_code == 0, result.output
    assert note in result.output
