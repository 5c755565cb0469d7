"""Values at and beyond the ledger's limits: refused where they are written, and never a crash
for the commands that compute on the rest of the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import CASE, CONFIG
from gitledger import make_ledger as make_git_ledger

from relancegit.cli import main

TODAY = "2026-11-23"
ENGINE_COMMANDS = [["list"], ["next", "--within", "30"], ["show", "2026-0042"], ["report"], ["calendar"]]


def run(root: Path, *args: str, today: str = TODAY) -> Result:
    runner = CliRunner(env={"RELANCEGIT_LEDGER": None, "RELANCEGIT_TODAY": None, "RELANCEGIT_NO_CACHE": "1"})
    return runner.invoke(main, ["--ledger", str(root), "--today", today, *args], catch_exceptions=False)


def test_record_refuses_a_date_out_of_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    repo = make_git_ledger(tmp_path, monkeypatch)
    before = repo.read()
    result = repo.run("record", "2026-0042", "pause", "until=9999-12-31")
    assert result.exit_code == 1
    assert "until: date 9999-12-31 is out of range: expected 1900-01-01 to 2199-12-31" in result.stderr
    assert repo.read() == before


def test_record_refuses_an_amount_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    repo = make_git_ledger(tmp_path, monkeypatch)
    before = repo.read()
    result = repo.run("record", "2026-0042", "payment", "amount=12345678901234567890123456")
    assert result.exit_code == 1
    assert "amount 12345678901234567890123456 is too large: amounts must be below 1,000,000,000,000" in result.stderr
    assert repo.read() == before


@pytest.mark.parametrize(
    "bad",
    [
        "  - {date: 2026-10-20, type: pause, until: 9999-12-31}\n",
        "  - {date: 2026-10-20, type: promise, amount: 12345678901234567890123456, due: 2026-12-01}\n",
    ],
)
@pytest.mark.parametrize("command", [*ENGINE_COMMANDS, ["build"]], ids=lambda c: c[0])
def test_engine_commands_leave_out_a_case_beyond_the_limits(make_ledger, tmp_path: Path, bad: str, command):
    broken = CASE.replace("2026-0042", "2026-0043") + bad
    root = make_ledger({"cases/2026/2026-0043.yaml": broken})
    args = [*command, "-o", str(tmp_path / "site")] if command == ["build"] else command
    result = run(root, *args)
    assert result.exit_code == 1, result.output
    assert "relancegit: 1 file with errors left out; run 'relancegit check' for details" in result.stderr
    if command[0] in ("list", "show"):
        assert "2026-0042" in result.stdout and "2026-0043" not in result.stdout
    if command[0] == "report":  # the valid case's balance alone
        assert "Encours                         750,00" in result.stdout


EXTREME_CONFIG = (
    CONFIG
    + """\
penalties: {rate: 100%, indemnity: 999999999999.99, claim_from_step: letter}
policies:
  default:
    grace_days: 3660
    min_gap_days: 3660
    dispute_review_days: 3660
    escalation_days: 3660
    on_broken_plan: letter
    steps:
      - {id: early, offset: -3660, channel: email}
      - {id: letter, offset: 3660, channel: letter, deadline_days: 3660}
"""
)

EXTREME_CASE = """\
id: 2026-0042
client: acme
invoices:
  - {number: F1, date: 1900-01-01, due: 2199-12-31, amount: 999999999999.99}
  - {number: F2, date: 1900-01-01, due: 1900-01-01, amount: 999999999999.99}
events:
  - {date: 1900-01-01, type: promise, amount: 999999999999.99, due: 2199-12-31}
  - {date: 1900-01-02, type: plan, installments: [{due: 2199-12-31, amount: 999999999999.99}]}
  - {date: 1900-01-03, type: pause, until: 2199-12-31}
  - {date: 1900-01-04, type: payment, amount: 0.01}
"""


@pytest.mark.parametrize("today", ["1900-01-01", "2026-11-23", "2199-12-31"])
def test_values_at_the_limits_compute_in_every_command(make_ledger, tmp_path: Path, today: str):
    root = make_ledger({"relancegit.yaml": EXTREME_CONFIG, "cases/2026/2026-0042.yaml": EXTREME_CASE})
    checked = run(root, "check", today=today)
    assert " error: " not in checked.stderr, checked.stderr
    for command in [*ENGINE_COMMANDS, ["build", "-o", str(tmp_path / "site")]]:
        result = run(root, *command, today=today)
        assert result.exit_code == 0, (command, result.output)
