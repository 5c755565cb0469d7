"""`list --status` and `--client` in the user's words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from relancegit.cli import main
from relancegit.model import Status
from relancegit.render import views

BELLECOUR = """\
id: hotel-bellecour
name: Hôtel Bellecour SAS
credit_limit: 500
"""
DISPUTED = """\
id: 2026-0050
client: hotel-bellecour
invoices:
  - {number: F2026-0050, date: 2026-09-01, due: 2026-10-01, amount: 900}
events:
  - {date: 2026-10-20, type: dispute, reason: Livraison incomplète}
"""


def run(root: Path, *args: str):
    runner = CliRunner(env={"RELANCEGIT_LEDGER": None, "RELANCEGIT_TODAY": None, "RELANCEGIT_NO_CACHE": "1"})
    return runner.invoke(main, ["--ledger", str(root), "--today", "2026-11-23", *args], catch_exceptions=False)


@pytest.fixture
def ledger(make_ledger) -> Path:
    return make_ledger({"clients/hotel-bellecour.yaml": BELLECOUR, "cases/2026/2026-0050.yaml": DISPUTED})


def listed(root: Path, *args: str) -> list[str]:
    result = run(root, "list", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return [case["id"] for case in json.loads(result.stdout)]


@pytest.mark.parametrize("words", ["disputed", "litige", "en litige", "EN LITIGE", "Litigé", "en  litige"])
def test_status_in_the_words_shown_or_the_json_value(ledger: Path, words: str) -> None:
    assert listed(ledger, "--status", words) == ["2026-0050"]


def test_status_words_cover_french_english_and_json() -> None:
    assert views.status_of("à échoir") == views.status_of("a echoir") == views.status_of("echoir") == Status.UPCOMING
    assert views.status_of("not yet due") == views.status_of("upcoming") == Status.UPCOMING
    assert views.status_of("passé en perte") == views.status_of("written off") == Status.WRITTEN_OFF
    assert views.status_of("written-off") == views.status_of("WRITTEN_OFF") == Status.WRITTEN_OFF
    assert views.status_of("retard") == Status.OVERDUE and views.status_of("payment plan") == Status.PLAN
    assert views.status_of("pending") is None


def test_a_wrong_status_gets_a_suggestion_and_the_accepted_words(ledger: Path) -> None:
    result = run(ledger, "list", "--status", "litje")
    assert result.exit_code == 2
    assert "Invalid value for --status: unknown status 'litje'; did you mean 'litige'?" in result.stderr
    assert "Accepted: passé en perte (written off / written-off), payé (paid)," in result.stderr
    assert "en litige (disputed)" in result.stderr and "à échoir (not yet due / upcoming)." in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("words", ["hotel-bellecour", "Hôtel Bellecour SAS", "hôtel bellecour sas", "HOTEL-BELLECOUR"])
def test_client_by_id_or_exact_name(ledger: Path, words: str) -> None:
    assert listed(ledger, "--client", words) == ["2026-0050"]


def test_a_client_typo_suggests_close_ids(ledger: Path) -> None:
    result = run(ledger, "list", "--client", "hotel-belcour")
    assert result.exit_code == 2
    assert "Invalid value for --client: unknown client 'hotel-belcour'; did you mean 'hotel-bellecour'?" in (
        result.stderr
    )
    far = run(ledger, "list", "--client", "zzz")
    assert far.exit_code == 2
    assert "unknown client 'zzz' (give a client id or a client's exact name)" in far.stderr
