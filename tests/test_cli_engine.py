"""`show`, `list`, `next`, `report`, `calendar`: wiring, exit codes and JSON on small ledgers.

The default case 2026-0042 (conftest): 1 500.00 € due 2026-10-01, reminder-1 on 10-02,
750 paid on 10-16; as of 2026-11-23 it is overdue with 750.00 left and reminder-2 due
(max(10-01 + 8, 10-02 + 5) = Fri 10-09).
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from relancegit.cli import main

SECOND_CASE = """\
id: 2026-0050
client: acme
invoices:
  - {number: F2026-0050, date: 2026-11-01, due: 2026-12-01, amount: 300}
"""


def run(root: Path, *args: str, today: str = "2026-11-23"):
    runner = CliRunner(env={"RELANCEGIT_LEDGER": None, "RELANCEGIT_TODAY": None})
    return runner.invoke(main, ["--ledger", str(root), "--today", today, *args], catch_exceptions=False)


def test_show_json(make_ledger) -> None:
    result = run(make_ledger(), "show", "2026-0042", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["status"], out["balance"], out["days_overdue"]) == ("overdue", "750.00", 53)
    assert out["next_action"]["date"] == "2026-10-09" and out["next_action"]["step"] == "reminder-2"


def test_show_text_is_french(make_ledger) -> None:
    result = run(make_ledger(), "show", "2026-0042")
    assert result.exit_code == 0
    assert "750,00\u00a0€" in result.stdout and "2e relance : J+8" in result.stdout


def test_unknown_case_is_an_error_without_traceback(make_ledger) -> None:
    result = run(make_ledger(), "show", "nope")
    assert result.exit_code == 1
    assert result.stderr == "relancegit: error: unknown case or invoice number 'nope'\n"


def test_list_filters(make_ledger) -> None:
    root = make_ledger({"cases/2026/2026-0050.yaml": SECOND_CASE})
    everything = json.loads(run(root, "--format", "json", "list").stdout)
    assert [c["id"] for c in everything] == ["2026-0042", "2026-0050"]
    assert all("invoices" not in c for c in everything)
    upcoming = json.loads(run(root, "list", "--status", "upcoming", "--format", "json").stdout)
    assert [c["id"] for c in upcoming] == ["2026-0050"]
    assert run(root, "list", "--client", "other", "--format", "json").exit_code == 2  # no such client
    assert run(root, "list", "--status", "bogus").exit_code == 2


def test_next_within(make_ledger) -> None:
    root = make_ledger({"cases/2026/2026-0050.yaml": SECOND_CASE})
    today = json.loads(run(root, "next", "--format", "json").stdout)
    assert [(a["case"], a["date"], a["step"]) for a in today] == [("2026-0042", "2026-10-09", "reminder-2")]
    # 2026-0050's pre-due: 12-01 - 5 = Thu 11-26, inside 3 days.
    later = json.loads(run(root, "next", "--within", "3", "--format", "json").stdout)
    assert [a["case"] for a in later] == ["2026-0042", "2026-0050"]
    assert set(later[0]) >= {"case", "client", "date", "kind", "step", "channel", "balance"}


def test_next_text_empty_day(make_ledger) -> None:
    root = make_ledger({"cases/2026/2026-0042.yaml": SECOND_CASE.replace("2026-0050", "2026-0042")})
    result = run(root, "next")
    assert result.exit_code == 0 and "Rien à faire" in result.stdout


def test_report_json(make_ledger) -> None:
    out = json.loads(run(make_ledger(), "report", "--format", "json").stdout)
    assert out["outstanding"] == "750.00" and out["aging"]["31-60"] == "750.00"


def test_left_out_files_are_reported_and_exit_1(make_ledger) -> None:
    root = make_ledger({"cases/2026/2026-0050.yaml": SECOND_CASE.replace("amount: 300", "amount: -3")})
    result = run(root, "list", "--format", "json")
    assert result.exit_code == 1
    assert [c["id"] for c in json.loads(result.stdout)] == ["2026-0042"]
    assert "1 file with errors left out" in result.stderr
    shown = run(root, "show", "2026-0050")
    assert shown.exit_code == 1 and "has errors and was left out" in shown.stderr


def test_calendar_is_stable_with_stable_uids(make_ledger, tmp_path: Path) -> None:
    root = make_ledger()
    first = run(root, "calendar").stdout
    assert first == run(root, "calendar").stdout
    assert "UID:2026-0042-action@relancegit" in first
    assert "UID:2026-0042-escalation@relancegit" in first  # 10-01 + 90 = 12-30
    assert "DTSTART;VALUE=DATE:20261123" in first  # the overdue reminder is placed on today
    target = tmp_path / "agenda.ics"
    assert run(root, "calendar", "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")
