"""`relancegit rates`: the known half-year rates, those the ledger lacks, the lines to add.

Worked by hand. The packaged table ends with 2026-H1 (ECB 2.15, legal "other cases" 2.62,
"private" 6.67); 2026-H2 is unknown. Interest accrues from the day after the due date up to
today (business debtors) or from the day after the first formal notice (consumers), so:

- business invoice due 2026-06-20, today 2026-06-30: days 06-21…06-30, all in 2026-H1: known;
- the same on 2026-07-01: day 07-01 is in 2026-H2: the ECB rate of 2026-H2 is missing;
- a consumer never put on notice bears no interest: nothing needed;
- a consumer under formal notice on 2026-07-02: days from 07-03 need legal_other of 2026-H2;
- a fixed business rate (`12%`) needs no row at all.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEMO, DEMO_TODAY

from relancegit.cli import main
from relancegit.read.load import load_ledger

CONFIG = """\
creditor:
  name: Atelier Dupré SARL
  address: [12 rue des Tanneurs, 69007 Lyon]
"""

BUSINESS_CASE = """\
id: 2026-0100
client: acme
invoices:
  - {number: F2026-0100, date: 2026-05-21, due: 2026-06-20, amount: 1000}
"""

CONSUMER = """\
id: durand
name: Paul Durand
type: consumer
"""

CONSUMER_CASE = """\
id: 2026-0200
client: durand
invoices:
  - {number: F2026-0200, date: 2026-05-21, due: 2026-06-20, amount: 400}
events:
  - {date: 2026-07-02, type: reminder, step: formal-notice}
"""


def business_ledger(make_ledger, config: str = CONFIG) -> Path:
    """Only the business case 2026-0100 (due 2026-06-20), under `config`."""
    return make_ledger(
        {"relancegit.yaml": config, "cases/2026/2026-0042.yaml": None, "cases/2026-0100.yaml": BUSINESS_CASE}
    )


def run(root: Path, *args: str, today: str):
    runner = CliRunner(env={"RELANCEGIT_LEDGER": None, "RELANCEGIT_TODAY": None})
    return runner.invoke(main, ["--ledger", str(root), "--today", today, "rates", *args], catch_exceptions=False)


def rates_json(root: Path, today: str) -> dict:
    result = run(root, "--format", "json", today=today)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def business(make_ledger) -> Path:
    return business_ledger(make_ledger)


def test_nothing_missing_while_every_day_is_in_a_known_half_year(business: Path):
    out = rates_json(business, "2026-06-30")
    assert out["missing"] == [] and out["add"] == []
    text = run(business, today="2026-06-30")
    assert text.exit_code == 0
    assert text.stdout.rstrip().endswith(
        "Nothing missing: every half-year the penalty interest needs up to 2026-06-30 is known."
    )


def test_a_business_day_in_an_unknown_half_year_needs_its_ecb_rate(business: Path):
    out = rates_json(business, "2026-07-01")
    assert out["missing"] == [{"period": "2026-H2", "fields": ["ecb"], "cases": ["2026-0100"]}]
    assert out["add"] == ["rates:", "  - {period: 2026-H2, ecb: unknown}"]
    text = run(business, today="2026-07-01")
    assert text.exit_code == 0  # a report: `check` is the command that warns
    assert (
        "Missing 2026-H2 (ecb): needed for the penalty interest of 1 case up to 2026-07-01 (2026-0100)." in text.stdout
    )
    assert text.stdout.rstrip().endswith("rates:\n  - {period: 2026-H2, ecb: unknown}")
    assert "docs/legal-fr.md" in text.stdout


def test_consumers_need_the_legal_rate_only_once_put_on_notice(make_ledger):
    files = {
        "relancegit.yaml": CONFIG,
        "cases/2026/2026-0042.yaml": None,
        "clients/durand.yaml": CONSUMER,
        "cases/2026-0200.yaml": CONSUMER_CASE,
    }
    root = make_ledger(files)
    assert rates_json(root, "2026-07-02")["missing"] == []  # the notice's own day bears no interest
    assert rates_json(root, "2026-07-03")["missing"] == [
        {"period": "2026-H2", "fields": ["legal_other"], "cases": ["2026-0200"]}
    ]
    files["cases/2026-0100.yaml"] = BUSINESS_CASE
    both = rates_json(make_ledger(files), "2026-07-03")
    assert both["missing"] == [
        {"period": "2026-H2", "fields": ["ecb", "legal_other"], "cases": ["2026-0100", "2026-0200"]}
    ]
    assert both["add"] == ["rates:", "  - {period: 2026-H2, ecb: unknown, legal_other: unknown}"]


def test_a_fixed_rate_needs_no_row(make_ledger):
    config = CONFIG + "penalties: {rate: 12%}\n"
    root = business_ledger(make_ledger, config)
    out = rates_json(root, "2026-12-01")
    assert out["missing"] == [] and out["penalty_rate"] == "12%"
    assert {row["penalty"] for row in out["rates"]} == {"12.00"}


def test_ledger_rows_are_marked_and_override_field_by_field(make_ledger):
    config = CONFIG + "rates:\n  - {period: 2026-H1, ecb: 2.40}\n  - {period: 2026-H2, ecb: 2.15}\n"
    root = business_ledger(make_ledger, config)
    rows = {row["period"]: row for row in rates_json(root, "2026-07-01")["rates"]}
    assert rows["2026-H1"] == {
        "period": "2026-H1",
        "ecb": "2.40",
        "penalty": "12.40",  # ECB + 10 points
        "legal_other": "2.62",  # kept from the packaged row
        "legal_private": "6.67",
        "source": "ledger over packaged",
        "from_ledger": ["ecb"],
    }
    assert rows["2026-H2"]["source"] == "ledger" and rows["2026-H2"]["legal_other"] is None
    assert rows["2025-H2"]["source"] == "packaged" and rows["2025-H2"]["from_ledger"] == []
    text = run(root, today="2026-07-01").stdout
    assert re.search(r"^2026-H1 +2\.40 +12\.40 +2\.62 +6\.67  ledger over packaged \(ecb\)$", text, re.MULTILINE)
    assert re.search(r"^2026-H2 +2\.15 +12\.15 +- +-  ledger$", text, re.MULTILINE)
    assert "Nothing missing" in text


def test_rows_to_add_go_under_the_existing_rates_key(make_ledger):
    config = CONFIG + "rates:\n  - {period: 2026-H1, ecb: 2.40}\n"
    root = business_ledger(make_ledger, config)
    assert rates_json(root, "2026-07-01")["add"] == ["  - {period: 2026-H2, ecb: unknown}"]
    assert "Add to the `rates:` list in" in run(root, today="2026-07-01").stdout


def test_left_out_files_are_reported_and_exit_1(business: Path):
    (business / "cases/2026-0101.yaml").write_text("id: 2026-0101\nclient: acme\ninvoices: []\n")
    result = run(business, today="2026-07-01")
    assert result.exit_code == 1
    assert "1 file with errors left out" in result.stderr
    assert "Missing 2026-H2 (ecb)" in result.stdout


# --- the demo ledger -------------------------------------------------------------------------


def _check_warning_count(root: Path, today) -> int:
    """How many cases `check` says need 2026-H2 (its own, separate computation)."""
    messages = [p.message for p in load_ledger(root, today).warnings if p.message.startswith("no rates known")]
    assert len(messages) == 1
    found = re.search(r"for 2026-H2, needed for the penalty interest of (\d+) cases", messages[0])
    assert found
    return int(found.group(1))


@pytest.mark.parametrize("today", ["2026-11-23", "2026-12-01"])
def test_demo_needs_2026_h2_for_the_cases_check_warns_about(today: str):
    out = rates_json(DEMO, today)
    assert [m["period"] for m in out["missing"]] == ["2026-H2"]
    # ecb: business cases past due in H2; legal_other: 2026-0225, a consumer under formal notice.
    assert out["missing"][0]["fields"] == ["ecb", "legal_other"]
    assert "2026-0225" in out["missing"][0]["cases"]
    assert len(out["missing"][0]["cases"]) == _check_warning_count(DEMO, DEMO_TODAY.fromisoformat(today))
    assert out["add"] == ["rates:", "  - {period: 2026-H2, ecb: unknown, legal_other: unknown}"]
    assert all(row["source"] == "packaged" for row in out["rates"])


def test_demo_filled_in_as_told_needs_nothing_more(tmp_path: Path):
    root = tmp_path / "ledger"
    shutil.copytree(DEMO, root)
    out = rates_json(root, "2026-12-01")
    config = root / "relancegit.yaml"
    # Placeholders left as they are: `check` refuses them at their line, nothing is guessed.
    pasted = config.read_text(encoding="utf-8") + "\n" + "\n".join(out["add"]) + "\n"
    config.write_text(pasted, encoding="utf-8")
    line = len(pasted.splitlines())
    errors = [p.format() for p in load_ledger(root, DEMO_TODAY.fromisoformat("2026-12-01")).errors]
    assert any(f"relancegit.yaml:{line}:" in e and "'unknown'" in e for e in errors), errors
    broken = run(root, today="2026-12-01")
    assert (broken.exit_code, broken.stdout) == (1, "")
    assert broken.stderr.endswith("relancegit: error: relancegit.yaml has errors; run 'relancegit check'\n")
    # Filled with figures, as the user would from the official sources: nothing is missing.
    config.write_text(pasted.replace("ecb: unknown", "ecb: 2.15").replace("legal_other: unknown", "legal_other: 2.62"))
    after = rates_json(root, "2026-12-01")
    assert after["missing"] == [] and after["add"] == []
    assert {row["source"] for row in after["rates"] if row["period"] == "2026-H2"} == {"ledger"}
    warnings = [p.message for p in load_ledger(root, DEMO_TODAY.fromisoformat("2026-12-01")).warnings]
    assert not any(m.startswith("no rates known") for m in warnings)
